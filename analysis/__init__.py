"""Statistics on a tidy table of responses: pure functions returning small frozen results.

No web, no database: :mod:`survey` loads responses into the table, :mod:`exports` writes
the results. Modules, in the order a report uses them:

- :mod:`analysis.data` — the tidy table (:class:`~analysis.data.SurveyData`) from CSV or
  through the questionnaire; not asked vs missing; gender and age band from the
  background questions.
- :mod:`analysis.proportions` — shares with Wilson intervals.
- :mod:`analysis.comparison` — differences (Newcombe, Fisher with the conditional odds
  ratio, Pearson), CMH, and the Pearson test across any number of municipalities.
- :mod:`analysis.logistic` — ``item ~ municipality + group + gender`` by IRLS as R's
  ``glm.fit``, with separation checks.
- :mod:`analysis.multiplicity` — Holm, Benjamini-Hochberg, Bonferroni.
- :mod:`analysis.ordinal` — distributions and the Wilcoxon-Mann-Whitney test.
- :mod:`analysis.weights` — response rates, post-stratification weights, weighted shares.
- :mod:`analysis.rounds` — comparisons across rounds, refused unless comparable.
- :mod:`analysis.disclosure` — primary and complementary suppression (docs/disclosure.md).
- :mod:`analysis.report` — everything as JSON-ready data (``paverkan stats``).

Every figure is checked against independent R computations in ``../shared/reference``.
The package needs numpy, pandas and the HiGHS solver (``highspy``), not scipy: the tests,
tails and root finder it would take from scipy.stats, scipy.special, scipy.optimize or
statsmodels are written out as R computes them, because importing those costs a fresh
``paverkan stats`` more than all its arithmetic (bench/stats.py); the tests check them
against both libraries.
"""
