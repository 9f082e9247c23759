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
# tokenizer with random weights. Point RUN_DEMO elsewhere (and add its
# recipe to RUN_DEMO_DEPS) to synthesize one when the fixture is absent.
RUN_DEMO ?= ../shared/fixtures/tiny-llama2-q4_0.gguf
RUN_DEMO_DEPS ?=
MODEL ?=

.PHONY: run
run: $(RUN_DEMO_DEPS)
	@mkdir -p bin $(RUN_DIR)
	$(GO) build -o bin/baylingd ./cmd/baylingd
	$(GO) build -o bin/bayling ./cmd/bayling
	@model='$(MODEL)'; demo=no; \
	if [ -z "$$model" ]; then \
	  if [ ! -f '$(RUN_DEMO)' ]; then \
	    echo "make run: no demo model at $(RUN_DEMO); run it with MODEL=path/to/bayling-2.gguf" >&2; exit 1; \
	  fi; \
	  model='$(RUN_DEMO)'; demo=yes; \
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
