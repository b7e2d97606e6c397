# make setup      create .venv and install requirements.txt
# make setup-ray  also install requirements-ray.txt (the sweep's optional Ray engine; CI installs it)
# make test       run the test suite (what CI runs)
# make train      set up, then train one run: make train DATASET=fashion_mnist Q=100 METHOD=arconvl SEED=0
# make benchmark  train-step throughput of ARConvL vs plain CPL, printed as "ratio: X.XX"

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

DATASET ?= fashion_mnist
Q       ?= 100
METHOD  ?= arconvl
SEED    ?= 0
OUT     ?= runs/$(DATASET)-$(Q)-$(METHOD)-$(SEED)
ARGS    ?=

.PHONY: setup setup-ray test train benchmark clean

STAMP  := $(VENV)/.installed

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

RAY_STAMP := $(VENV)/.installed-ray

$(RAY_STAMP): $(STAMP) requirements-ray.txt
	$(PY) -m pip install -r requirements-ray.txt
	touch $(RAY_STAMP)

setup-ray: $(RAY_STAMP)

test: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=2 $(PY) -m pytest -q

train: $(STAMP)
	$(PY) -m arconvl train --dataset $(DATASET) --q $(Q) --method $(METHOD) --seed $(SEED) --out $(OUT) $(ARGS)

benchmark: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=2 $(PY) scripts/benchmark_throughput.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
