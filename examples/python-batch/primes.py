"""An example Spindle python3 batch job: counts the primes below a limit and prints them."""
import os


class Primes:
    """Counts the primes below PRIMES_LIMIT (default 1000) with a sieve of Eratosthenes."""

    def __init__(self) -> None:
        self.limit = int(os.environ.get("PRIMES_LIMIT", "1000"))

    def run(self) -> int:
        is_prime = [False, False] + [True] * max(self.limit - 2, 0)
        for n in range(2, int(self.limit**0.5) + 1):
            if is_prime[n]:
                for multiple in range(n * n, self.limit, n):
                    is_prime[multiple] = False
        count = sum(is_prime[: self.limit])
        print(f"{count} primes below {self.limit}")
        return count
