package convert

// BayLing 2's prompt formats as Jinja chat templates, stored in
// tokenizer.chat_template when the checkpoint ships none, so that
// llama.cpp's server and other GGUF runtimes prompt the model the way
// BayLing was trained (bayling/conversation.py), with BayLing's default
// system text. They render exactly the prompts of package translate's
// Family.Chat: an optional leading system message replaces the default
// system text (an empty one drops it), then user and assistant turns.
// Neither template writes BOS: the tokenizer adds it
// (tokenizer.ggml.add_bos_token), as for every BayLing prompt.

// bayLingLlama2Template is the format of BayLing-2-7B and -13B:
//
//	{system}\n\n### Instruction:\n{user}\n### Response:\n{assistant}</s>\n...
const bayLingLlama2Template = `{%- set system = 'I am an intelligent language assistant developed by the NLP Group of ICT/CAS.\nBelow is a dialog consisting of instructions and responses. Write a response that completes the request.' -%}
{%- if messages and messages[0]['role'] == 'system' -%}
{%- set system = messages[0]['content'] -%}
{%- set messages = messages[1:] -%}
{%- endif -%}
{%- if system -%}
{{- system + '\n\n' -}}
{%- endif -%}
{%- for message in messages -%}
{%- if message['role'] == 'user' -%}
{{- '### Instruction:\n' + message['content'] + '\n### Response:\n' -}}
{%- else -%}
{{- message['content'] + '</s>\n' -}}
{%- endif -%}
{%- endfor -%}`

// bayLingLlama3Template is the format of BayLing-2-llama-3-8B, Llama 3's
// header format with BayLing's system text.
const bayLingLlama3Template = `{%- set system = 'I am BayLing developed by the NLP Group of ICT/CAS.' -%}
{%- if messages and messages[0]['role'] == 'system' -%}
{%- set system = messages[0]['content'] -%}
{%- set messages = messages[1:] -%}
{%- endif -%}
{%- if system -%}
{{- '<|start_header_id|>system<|end_header_id|>\n\n' + system + '<|eot_id|>' -}}
{%- endif -%}
{%- for message in messages -%}
{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] + '<|eot_id|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
{%- endif -%}`
