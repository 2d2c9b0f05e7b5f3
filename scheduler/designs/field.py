"""Small finite fields GF(p^k), enough for the designs' geometry (orders up to a few dozen).

Elements are the integers 0..p^k - 1 whose base-p digits are the coefficients of a polynomial
over GF(p); multiplication is modulo the first irreducible polynomial of degree k (found by
trial division), tabulated once. Textbook construction (e.g. Lidl & Niederreiter, Finite
Fields, ch. 1).
"""

from __future__ import annotations

from functools import cache


class GaloisField:
    """GF(p^k) on the integers 0..p^k-1 (base-p digits are polynomial coefficients)."""

    def __init__(self, p: int, k: int) -> None:
        self.p, self.k, self.order = p, k, p**k
        self.modulus = _irreducible(p, k)
        self._mul = [[self._slow_mul(a, b) for b in range(self.order)] for a in range(self.order)]

    @classmethod
    def of_order(cls, q: int) -> GaloisField | None:
        """The field of order q, or None when q is not a prime power."""
        return _field_of_order(q)

    @classmethod
    def _build(cls, q: int) -> GaloisField | None:
        for p in range(2, q + 1):
            if q % p == 0:
                k, rest = 0, q
                while rest % p == 0:
                    rest //= p
                    k += 1
                return cls(p, k) if rest == 1 else None
        return None

    def add(self, a: int, b: int) -> int:
        result, place = 0, 1
        for _ in range(self.k):
            result += ((a % self.p + b % self.p) % self.p) * place
            a, b, place = a // self.p, b // self.p, place * self.p
        return result

    def mul(self, a: int, b: int) -> int:
        return self._mul[a][b]

    def _slow_mul(self, a: int, b: int) -> int:
        product = _poly_mul(_digits(a, self.p, self.k), _digits(b, self.p, self.k), self.p)
        remainder = _poly_mod(product, self.modulus, self.p)
        return sum(c * self.p**i for i, c in enumerate(remainder[: self.k]))


def _digits(a: int, p: int, k: int) -> list[int]:
    return [(a // p**i) % p for i in range(k)]


def _poly_mul(a: list[int], b: list[int], p: int) -> list[int]:
    out = [0] * (len(a) + len(b))
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] = (out[i + j] + x * y) % p
    return out


def _poly_mod(a: list[int], m: list[int], p: int) -> list[int]:
    """Remainder of a by the monic polynomial m (coefficients lowest first)."""
    a = a[:]
    d = len(m) - 1
    for i in range(len(a) - 1, d - 1, -1):
        c = a[i]
        if c:
            for j in range(d + 1):
                a[i - d + j] = (a[i - d + j] - c * m[j]) % p
    return (a + [0] * d)[:d]


def _irreducible(p: int, k: int) -> list[int]:
    """The first monic polynomial of degree k over GF(p) with no monic factor of degree <= k/2."""
    for code in range(p**k):
        candidate = [*_digits(code, p, k), 1]
        factors = ([*_digits(c, p, d), 1] for d in range(1, k // 2 + 1) for c in range(p**d))
        if all(any(_poly_mod(candidate, f, p)) for f in factors):
            return candidate
    raise AssertionError("an irreducible polynomial of every degree exists")


@cache
def _field_of_order(q: int) -> GaloisField | None:
    return GaloisField._build(q)
