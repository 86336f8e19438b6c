"""Files with problems of their own: parse errors, broken envelopes, names used twice.

One test per such file, since these problems belong to no configuration. A
clean file has no test here: its configurations' tests are its checks, so
every configuration is one test.
"""

from genesys_compliance import compliance_suite

test_file_is_readable = compliance_suite("file")
