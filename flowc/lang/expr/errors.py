"""The two exceptions of the expression language.

`ExprError`: the text is not a valid expression (or template); raised by the parsers.
`EvalError`: evaluation failed at run time; the evaluator raises nothing else.
Both carry character offsets into the text they came from (end exclusive).
"""

from __future__ import annotations


class ExprError(Exception):
    """A syntax error in an expression or a template, with offsets into its text."""

    def __init__(self, message: str, start: int, end: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = max(start, end)
        self.hint = hint

    def shifted(self, offset: int) -> ExprError:
        """The same error with offsets moved by `offset` (an expression inside a template)."""
        return ExprError(self.message, self.start + offset, self.end + offset, self.hint)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"ExprError({self.message!r}, {self.start}, {self.end}, hint={self.hint!r})"


class EvalError(Exception):
    """A run-time failure: unknown name, division by zero, bad regex, wrong value type...

    `start`/`end` locate the failing sub-expression; -1 when not (yet) known.
    """

    def __init__(
        self, message: str, start: int = -1, end: int = -1, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end
        self.hint = hint

    def located(self, start: int, end: int) -> EvalError:
        """This error with a span, unless it already has one."""
        if self.start >= 0:
            return self
        return type(self)(self.message, start, end, self.hint)

    def shifted(self, offset: int) -> EvalError:
        if self.start < 0:
            return self
        return type(self)(self.message, self.start + offset, self.end + offset, self.hint)

    def __str__(self) -> str:
        return self.message


class BudgetError(EvalError):
    """A value grew past an evaluation budget (see `flowc.lang.expr.budget`).

    An `EvalError`, so every user of `evaluate` still handles one exception type; the
    interpreter tells it apart to end the call (outcome `error`) instead of going on with
    `null`, since a flow that grows a value without bound would do so again.
    """
