# make setup      create .venv and install requirements.txt
# make setup-ray  also install requirements-ray.txt (the sweep's optional Ray engine; CI installs it)
# make test       run the test suite (what CI runs)
# make train      set up, then train one run: make train DATASET=fashion_mnist Q=100 METHOD=arconvl SEED=0
# make benchmark  train-step throughput of ARConvL vs plain CPL, printed as "ratio: X.XX"
# make device-bundle  the GPU check's carried folder (docs/gpu.md): Keras' missing wheels for the GPU
#                 machine's Python 3.12 / manylinux x86-64, and Fashion-MNIST's four IDX files

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

DATASET ?= fashion_mnist
Q       ?= 100
METHOD  ?= arconvl
SEED    ?= 0
OUT     ?= runs/$(DATASET)-$(Q)-$(METHOD)-$(SEED)
ARGS    ?=

# The GPU machine (docs/gpu.md) has JAX, NumPy, h5py, ml-dtypes, rich, absl-py and packaging but no
# Keras: these wheels, pinned to the Keras this project is tested with, travel in DEVICE_BUNDLE.
DEVICE_BUNDLE   ?= .device-bundle
DEVICE_WHEELS   ?= keras==3.15.1 namex==0.1.0 optree==0.20.0
DEVICE_PLATFORM := $(foreach p,manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 \
                     manylinux2014_x86_64 manylinux1_x86_64,--platform $(p))
FASHION_MNIST   ?= /usr/share/datasets/fashion-mnist
FASHION_FILES   := train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz \
                   t10k-labels-idx1-ubyte.gz

.PHONY: setup setup-ray test train benchmark device-bundle clean

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

device-bundle:
	rm -rf $(DEVICE_BUNDLE)/wheels
	mkdir -p $(DEVICE_BUNDLE)/wheels $(DEVICE_BUNDLE)/fashion-mnist
	$(PYTHON) -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
	    $(DEVICE_PLATFORM) -d $(DEVICE_BUNDLE)/wheels $(DEVICE_WHEELS)
	cp $(addprefix $(FASHION_MNIST)/,$(FASHION_FILES)) $(DEVICE_BUNDLE)/fashion-mnist/
	du -sh $(DEVICE_BUNDLE)

clean:
	rm -rf $(VENV) .pytest_cache
