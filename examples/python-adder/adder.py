"""An example Spindle python3 job: adds numbers."""


class Adder:
    """Adds a list of numbers.

    POST /perform with {"numbers": [40, 2]} answers 42.
    GET /explain?numbers=40,2 answers {"expression": "40 + 2 = 42"}.
    """

    def perform(self, numbers: list[float]) -> float:
        """Return the sum of `numbers`."""
        return sum(numbers)

    def explain(self, numbers: str = "") -> dict:
        """Show the sum of comma-separated numbers as an expression."""
        values = [float(n) for n in numbers.split(",") if n.strip()]
        terms = " + ".join(f"{v:g}" for v in values) or "0"
        return {"expression": f"{terms} = {sum(values):g}", "doc": (self.perform.__doc__ or "").strip()}

    def auxiliary_endpoints(self) -> dict:
        return {"/explain": self.explain}
