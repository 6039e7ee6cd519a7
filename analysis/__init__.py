"""Statistics on a tidy table of responses: pure functions returning small frozen results.

No web, no database: :mod:`survey` loads responses into the table, :mod:`exports` writes
the results. Modules, in the order a report uses them:

- :mod:`analysis.data` — the tidy table (:class:`~analysis.data.SurveyData`) from CSV or
  through the questionnaire; not asked vs missing; gender and age band from the
  background questions.
- :mod:`analysis.proportions` — shares with Wilson intervals.
- :mod:`analysis.comparison` — differences (Newcombe, Fisher with the conditional odds
  ratio, Pearson), CMH, and the Pearson test across any number of municipalities.
- :mod:`analysis.exact` — Fisher's exact p and the conditional odds ratio with its exact
  interval (Brent's method), for :mod:`analysis.comparison`.
- :mod:`analysis.distributions` — ``log(k!)`` and the chi-square upper tail (regularised
  incomplete gamma), written with ``math`` and numpy.
- :mod:`analysis.logistic` — ``item ~ municipality + group + gender`` by IRLS as R's
  ``glm.fit``, with separation checks.
- :mod:`analysis.multiplicity` — Holm, Benjamini-Hochberg, Bonferroni.
- :mod:`analysis.ordinal` — distributions and the Wilcoxon-Mann-Whitney test.
- :mod:`analysis.weights` — response rates, post-stratification weights, weighted shares.
- :mod:`analysis.rounds` — comparisons across rounds, refused unless comparable.
- :mod:`analysis.disclosure` — primary and complementary suppression (docs/disclosure.md).
- :mod:`analysis.atoms` — published figures as sums of atoms, the disclosure check's unknowns.
- :mod:`analysis.derivability` — what the published figures pin down (linear relaxation,
  whole numbers), with :mod:`analysis.row_space` and :mod:`analysis.programmes` (HiGHS).
- :mod:`analysis.report` — everything as JSON-ready data: ``build()`` the published form
  (``paverkan stats``, results pages, workbook), ``compute()`` every figure unsuppressed.
- :mod:`analysis.publication` — the disclosure plan applied to every figure, tests and
  models included (docs/disclosure.md).
- :mod:`analysis.synthetic` — a made-up thirteen-municipality county round (benchmark,
  attacker test).

Every figure is checked against independent R computations in ``../shared/reference``.
The distribution tails (normal, chi-square, the hypergeometric weights) are written with
``math`` and numpy, equal to scipy's to about 1e-12, so no ``paverkan stats`` pays for
importing ``scipy.special``. What stays hand-written says why in its docstring: the
conditional odds ratio with its own Brent solver (accurate where scipy's and R's are not,
and far faster), R's IRLS, CMH with R's continuity rule, R's ``p.adjust``; the tests check
each against scipy, statsmodels or R.
"""
