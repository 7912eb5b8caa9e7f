"""almkit: the augmented Lagrangian toolkit from Python (docs/python.md).

    import almkit
    p = almkit.problem("hs071")                 # a built-in problem
    r = almkit.solve(p, inner="lbfgs", policy="safeguarded", tol_feasibility=1e-9)
    r.x, r.status, r.kkt, r.history
    almkit.verify(p, r.x, r.multipliers)        # KKT / NNAMCQ report

    q = almkit.Problem(f, grad, x0, c=c, jac_c=jac_c, lower=..., upper=...)

The RNN trainer is almkit.rnn (docs/python.md "RNN"). Everything runs in the
C++ core (almkit._core); the solve releases the GIL and Ctrl-C stops it at the
next outer iteration with KeyboardInterrupt.
"""

from . import _core

__version__ = _core.__version__  # the CMake project version, as `almkit --version`

__all__ = ["Problem", "Result", "problem", "problems", "solve", "verify", "alm_options", "rnn"]


def _options_table(rows, indent="    "):
    return "\n".join(f"{indent}{name} = {default!r}: {doc}" for name, default, doc in rows)


def alm_options():
    """The ALM options: a list of (name, default, description), the names of
    AlmOptions::visit in core/alm.h (the CLI's --alm.NAME flags, docs/alm.md §4)."""
    return [tuple(r) for r in _core.alm_options()]


class Problem:
    """A constrained problem (docs/problem.md) defined by Python callables on numpy arrays:

        minimize f(x)  subject to  c(x) = 0,  g(x) <= 0,  lower <= x <= upper.

    Arguments:
      f(x) -> float;  grad(x) -> array (n,);  x0: start point (its length is n).
      c(x) -> array (m_eq,), with jac_c(x) -> array (m_eq, n) or jac_c_t(x, y) -> array (n,) = J_c(x)^T y.
      g(x) -> array (m_in,), with jac_g(x) or jac_g_t(x, y) likewise.
      lower, upper: bounds of length n (None: unbounded; entries may be +-inf).
      num_equalities / num_inequalities: optional; by default the length of c(x0) / g(x0).

    c and g are called once at x0 here to learn their sizes. Every call is
    checked: a wrong shape or a non-finite value raises ValueError naming the
    callable and the shape it returned (inside a solve the ALM stops and the
    error is raised from solve()). Exceptions of the callables propagate.
    """

    def __init__(self, f, grad, x0, *, c=None, jac_c=None, jac_c_t=None, g=None, jac_g=None, jac_g_t=None,
                 lower=None, upper=None, num_equalities=None, num_inequalities=None, name="python"):
        self._h = _core.make_problem(name, f, grad, x0, c, jac_c, jac_c_t, g, jac_g, jac_g_t, lower, upper,
                                     num_equalities, num_inequalities)

    @classmethod
    def _wrap(cls, handle):
        p = cls.__new__(cls)
        p._h = handle
        return p

    name = property(lambda self: self._h.name, doc="The problem's name.")
    description = property(lambda self: self._h.description, doc="One line on the problem (built-ins: source and answer).")
    n = property(lambda self: self._h.num_variables, doc="Number of variables.")
    num_equalities = property(lambda self: self._h.num_equalities, doc="Number of equality constraints c.")
    num_inequalities = property(lambda self: self._h.num_inequalities, doc="Number of inequality constraints g.")
    x0 = property(lambda self: self._h.x0, doc="The start point.")
    lower = property(lambda self: self._h.lower, doc="Lower bounds (-inf: none).")
    upper = property(lambda self: self._h.upper, doc="Upper bounds (+inf: none).")
    known_optimal_value = property(lambda self: self._h.known_optimal_value,
                                   doc="Published optimal value (built-in verification problems), else None.")

    def f(self, x):
        """f(x), through the C++ problem (counted)."""
        return self._h.evaluate("f", x)

    def grad(self, x):
        """The gradient of f at x."""
        return self._h.evaluate("grad", x)

    def c(self, x):
        """The equality constraints c(x)."""
        return self._h.evaluate("c", x)

    def g(self, x):
        """The inequality constraints g(x) (feasible: <= 0)."""
        return self._h.evaluate("g", x)

    def jac_c(self, x):
        """Dense Jacobian of c, shape (num_equalities, n)."""
        return self._h.evaluate("jac_c", x)

    def jac_g(self, x):
        """Dense Jacobian of g, shape (num_inequalities, n)."""
        return self._h.evaluate("jac_g", x)

    def jac_c_t(self, x, y):
        """J_c(x)^T y."""
        return self._h.evaluate("jac_c_t", x, y)

    def jac_g_t(self, x, y):
        """J_g(x)^T y."""
        return self._h.evaluate("jac_g_t", x, y)

    def evaluations(self):
        """Evaluation counters since the last solve started (core/problem.h EvaluationCounters)."""
        return self._h.counters()

    def __repr__(self):
        return (f"almkit.Problem({self.name!r}, n={self.n}, equalities={self.num_equalities}, "
                f"inequalities={self.num_inequalities})")


def problem(name):
    """A built-in problem by name (`almkit list`): "hs071" (or "hs71"), "hs001", the kink problems, ...
    Unknown names raise ValueError listing the built-ins."""
    return Problem._wrap(_core.builtin_problem(name))


def problems():
    """[(name, description)] of every built-in problem (problems/registry.h)."""
    return [tuple(r) for r in _core.builtin_problems()]


class Result:
    """What solve() returns (the fields of `almkit solve --json`, docs/json.md).

    x, objective, status (string, docs/alm.md "Statuses"), message,
    multipliers {"equality", "inequality", "bounds"} (numpy arrays),
    kkt (dict of residuals at the returned point), history (list of dicts, one per
    outer iteration), evaluations (dict of counters), outer_iterations,
    inner_iterations, seconds, options (every ALM option used), report (text).
    """

    def __init__(self, d):
        self._d = d
        stats = d["statistics"]
        self.x = d["x"]
        self.objective = d["objective"]
        self.status = d["status"]
        self.message = d["message"]
        self.multipliers = d["multipliers"]
        self.kkt = d["kkt"]
        self.history = d["history"]
        self.evaluations = stats["evaluations"]
        self.outer_iterations = stats["outer_iterations"]
        self.inner_iterations = stats["inner_iterations"]
        self.inner_solver = stats["inner_solver"]
        self.final_penalty = stats["final_penalty"]
        self.seconds = stats["seconds"]
        self.best_feasible = d["best_feasible"]
        self.options = d["options"]
        self.report = d["report"]

    @property
    def converged(self):
        """True for the statuses converged and converged_at_noise_level."""
        return self.status in ("converged", "converged_at_noise_level")

    def history_arrays(self):
        """The history as {field: numpy array} (one entry per outer iteration)."""
        import numpy as np
        keys = self.history[0].keys() if self.history else []
        return {k: np.array([h[k] for h in self.history]) for k in keys if k != "inner_status"}

    def __repr__(self):
        return f"almkit.Result(status={self.status!r}, objective={self.objective!r}, outer={self.outer_iterations})"


def solve(problem, inner=None, policy="safeguarded", *, x0=None, multipliers=None, callback=None, lbfgs=None,
          bcd=None, lbfgsb=None, newton=None, **options):
    """Solves `problem` by the augmented Lagrangian method (docs/alm.md) and returns a Result.

    inner: the inner solver, "lbfgs" (Ceres L-BFGS, any problem), "lbfgsb" (L-BFGS-B, bounds kept by the
      solver; when built with liblbfgsb), "newton" (projected Newton-CG, bounds kept by the solver) or
      "bcd" (block problems only); None: almkit's default
      (_core.default_inner_solver(): "lbfgsb" when available, docs/inner_solvers.md).
    policy: "safeguarded" or "reference" (docs/alm.md §2, §3).
    x0: start point (default problem.x0).
    multipliers: warm start {{"equality": lambda, "inequality": mu}} (e.g. a previous Result.multipliers;
      default 0).
    callback(record, x): called after every outer iteration with a dict (iteration,
      objective, infeasibility, stationarity, penalty, ...) and the iterate; returning
      False stops the solve (status "stopped_by_callback").
    lbfgs, bcd, lbfgsb, newton: dicts of inner-solver options (names of LbfgsOptions / BcdOptions /
      LbfgsbOptions / NewtonCgOptions).
    **options: ALM options by name (the CLI's --alm.NAME); an unknown name or an
      invalid value raises ValueError naming it. The options and their defaults:

{options}

    The GIL is released during the solve; Ctrl-C stops it at the next outer
    iteration and raises KeyboardInterrupt. An exception in a callable of a
    Python problem stops the solve and is raised here.
    """
    if not isinstance(problem, Problem):
        raise TypeError("solve: problem must be an almkit.Problem (almkit.Problem(...) or almkit.problem(name))")
    if "policy" in options:
        raise ValueError("option policy: give it as solve(..., policy=...)")
    options["policy"] = policy
    d = _core.solve(problem._h, inner or "", options, dict(lbfgs or {}), dict(bcd or {}), dict(lbfgsb or {}),
                    dict(newton or {}), x0, multipliers, callback)
    return Result(d)


if solve.__doc__:  # None under python -OO
    solve.__doc__ = solve.__doc__.format(options=_options_table(_core.alm_options(), "      "))


class Verification(dict):
    """The KKT report of verify() (core/verify.h KktVerification, docs/verification.md):
    a dict with is_kkt, infeasibility, complementarity, clarke, limiting, failures, ...,
    "nnamcq" (the NNAMCQ report, core/nnamcq.h) and "text" (the CLI's text)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __str__(self):
        return self.get("text", dict.__repr__(self))


def verify(problem, x, multipliers=None, *, nnamcq=True, **options):
    """Verifies the KKT conditions of `problem` at x (docs/verification.md §4), for smooth and ReLU-kinked problems.

    multipliers: None (least-squares multipliers are computed), a dict
      {"equality": lambda, "inequality": mu} (e.g. Result.multipliers), or a pair (lambda, mu).
    nnamcq: also check NNAMCQ at x (docs/verification.md §5), under key "nnamcq".
    **options: tolerance (1e-6), kink_tolerance (1e-6), active_tolerance (1e-6), multiplier_limit (1e8).
    Returns a Verification (dict-like; report["is_kkt"] or report.is_kkt).
    """
    if not isinstance(problem, Problem):
        raise TypeError("verify: problem must be an almkit.Problem")
    return Verification(_core.verify(problem._h, x, multipliers, options, nnamcq))


from . import rnn  # noqa: E402  (needs the names above)
