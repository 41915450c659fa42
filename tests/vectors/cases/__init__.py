"""The case builders of make_cases.py, one module per vector file (headers.py and vendors.py both
feed headers.json); common.py holds the fixed `now`, date formats and the `h`/`err` builders."""
