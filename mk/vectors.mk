# The shared vectors validate against tests/vectors/schema.json (Python jsonschema in .venv).
VECTORS_STAMP := $(VENV)/.pacekeeper-vectors-stamp

$(VECTORS_STAMP): tests/vectors/requirements.txt $(VENV_STAMP)
	$(VENV_PY) -m pip install --quiet -r tests/vectors/requirements.txt
	touch $@

test-vectors-schema: $(VECTORS_STAMP)
	$(VENV_PY) -m pytest -q tests/vectors

TEST_TARGETS += test-vectors-schema
.PHONY: test-vectors-schema
