from wit_world.exports import service as s

class Counter(s.Counter):
    def __init__(self, start):
        self.n = start
    def bump(self, by):
        self.n += by
        return self.n
    @staticmethod
    def total():
        return 0
