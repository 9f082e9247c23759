# mk/run.mk: `make run` builds baylingd and the bayling CLI, writes a
# configuration under $(RUN_DIR)/ with the socket at $(RUN_DIR)/baylingd.sock,
# prints how to send a request, and runs the daemon in the foreground
# (Ctrl-C stops it: SIGINT drains like SIGTERM).
#
#   make run                          the demo model (see RUN_DEMO)
#   make run MODEL=path/to/model.gguf a real BayLing 2 GGUF file
#
# Included from the top Makefile; also usable alone: make -f mk/run.mk run

GO ?= go
RUN_DIR ?= run
# The demo model: the tiny fixture, a real Llama-2 architecture and
# tokenizer with random weights. Without the shared fixtures, make run
# synthesizes a model of the same shape with the project's own tool
# (bayling synth: random weights, and a generated vocabulary when no
# vocabulary fixture is found) into $(RUN_DIR)/demo.gguf.
RUN_DEMO ?= ../shared/fixtures/tiny-llama2-q4_0.gguf
RUN_SYNTH := $(RUN_DIR)/demo.gguf
MODEL ?=

.PHONY: run
run:
	@mkdir -p bin $(RUN_DIR)
	$(GO) build -o bin/baylingd ./cmd/baylingd
	$(GO) build -o bin/bayling ./cmd/bayling
	@model='$(MODEL)'; demo=no; \
	if [ -z "$$model" ]; then \
	  if [ -f '$(RUN_DEMO)' ]; then model='$(RUN_DEMO)'; \
	  else \
	    echo "make run: no fixture model at $(RUN_DEMO); synthesizing a random-weight demo model"; \
	    [ -f '$(RUN_SYNTH)' ] || bin/bayling synth --shape tiny --type q4_0 '$(RUN_SYNTH)' || exit 1; \
	    model='$(RUN_SYNTH)'; \
	  fi; \
	  demo=yes; \
	fi; \
	if [ ! -f "$$model" ]; then echo "make run: $$model: no such file" >&2; exit 1; fi; \
	model=$$(realpath "$$model"); \
	sock='$(RUN_DIR)/baylingd.sock'; \
	{ \
	  echo '# Written by make run; see configs/baylingd.toml for every key.'; \
	  echo '[model]'; echo "path = \"$$model\""; \
	  echo '[limits]'; echo 'max_output_tokens = 256'; \
	  echo '[socket]'; echo "path = \"$$sock\""; echo 'group = ""'; \
	  echo '[daemon]'; echo 'drain_timeout = "5s"'; \
	} > '$(RUN_DIR)/baylingd.toml'; \
	echo; \
	if [ $$demo = yes ]; then \
	  echo "NOTE: the demo model $$model has RANDOM WEIGHTS: it exercises the real code paths,"; \
	  echo "      but its translations are gibberish. Use make run MODEL=path/to/bayling-2.gguf for real ones."; \
	  echo; \
	fi; \
	echo "baylingd is starting with $(RUN_DIR)/baylingd.toml. In another terminal:"; \
	echo; \
	echo "  curl --unix-socket $$sock http://localhost/v1/translate -d '{\"text\": \"Hello, world!\", \"target\": \"de\"}'"; \
	echo "  curl --unix-socket $$sock -N http://localhost/v1/translate -d '{\"text\": \"Good morning\", \"target\": \"zh\", \"stream\": true}'"; \
	echo "  curl --unix-socket $$sock http://localhost/v1/chat/completions -d '{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}'"; \
	echo "  curl --unix-socket $$sock http://localhost/v1/health"; \
	echo "  curl --unix-socket $$sock http://localhost/metrics"; \
	echo "  bin/bayling translate --socket $$sock --to de 'Hello, world!'"; \
	echo; \
	exec bin/baylingd --config '$(RUN_DIR)/baylingd.toml'
