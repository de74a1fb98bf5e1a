import wit_world
from wit_world import exports
from wit_world.exports import service as s

class WitWorld(wit_world.WitWorld):
    def run(self, args):
        return "ok"
    def ping(self):
        return None

class Service(exports.Service):
    def make(self, name):
        return s.Counter(0)
    def get_stats(self, c):
        return s.Stats(0, [])
