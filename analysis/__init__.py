"""Statistics on a tidy table of responses: pure functions returning small frozen results.

No web, no database: :mod:`survey` loads responses into the table, :mod:`exports` writes
the results. Modules, in the order a report uses them:

- :mod:`analysis.data` — the tidy table (:class:`~analysis.data.SurveyData`) from CSV or
  through the questionnaire; not asked vs missing.
- :mod:`analysis.proportions` — shares with Wilson intervals.
- :mod:`analysis.comparison` — differences (Newcombe, Fisher, Pearson) and CMH.
- :mod:`analysis.logistic` — ``item ~ municipality + group + gender`` with separation checks.
- :mod:`analysis.multiplicity` — Holm, Benjamini-Hochberg, Bonferroni.
- :mod:`analysis.ordinal` — distributions and the Wilcoxon-Mann-Whitney test.
- :mod:`analysis.weights` — response rates, post-stratification weights, weighted shares.
- :mod:`analysis.rounds` — comparisons across rounds, refused unless comparable.
- :mod:`analysis.disclosure` — primary and complementary suppression (docs/disclosure.md).
- :mod:`analysis.report` — everything as JSON-ready data (``paverkan stats``).

Every figure is checked against independent R computations in ``../shared/reference``.
"""
