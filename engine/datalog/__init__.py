"""The rule language: a small Datalog with stratified negation (DESIGN.md, "Rule language").

program = load(["rules/", "policy/"])        # LoadError(diagnostics) when anything is wrong
result = program.evaluate({"tool": [("p", "echo")]})
result.facts("tool_ok"); result.conclusions; result.explain("tool_ok", ("p", "echo"))
"""

from engine.datalog.explain import Proof, ProofStep, RuleMiss, WhyNot
from engine.datalog.facts import FactsError
from engine.datalog.program import Conclusion, LoadError, Program, Result, load, loads, parse_atom

__all__ = [
    "Conclusion",
    "FactsError",
    "LoadError",
    "Program",
    "Proof",
    "ProofStep",
    "Result",
    "RuleMiss",
    "WhyNot",
    "load",
    "loads",
    "parse_atom",
]
