"""Files for people outside the app: anonymous microdata (csv, xlsx, SPSS, Stata), its
codebook, and free text only through redaction.

No Flask and no database: :func:`exports.microdata.prepare` takes the tidy table of a round
(what :mod:`survey.round_data` reads), its invited counts and its frozen instrument;
:mod:`exports.writers` and :mod:`exports.codebook` spell the result in each format.
"""
