// Package translate is the text side of baylingd: the BayLing 2 prompt
// templates, the language registry, and the path from a translation request
// to a prompt and from the model's raw output to a clean translation. It is
// pure text logic; it does not import the engine, which it reaches through
// the small Generator interface.
//
// # Templates
//
// A Family is one of BayLing 2's two prompt formats, chosen from the GGUF
// tokenizer model (FamilyForTokenizer): Llama2 for BayLing-2-7B/13B
// ("### Instruction:/### Response:", from BayLing's conversation.py) and
// Llama3 for BayLing-2-llama-3-8B (Llama 3 headers). Prompts are returned as
// Segments so that special tokens are parsed in template text only, never in
// text that came from a request. FixedPrefix is the request-independent head
// of every single-turn prompt, cut at a token boundary so the engine can
// share its KV cache.
//
// # Languages
//
// The registry holds the Flores-101 set of the BayLing group's multilingual
// demo, plus Sinhala and Traditional Chinese (zh-Hant), each with ISO 639-1
// and 639-3 codes, English, native and Chinese names and ISO 15924 script.
// Lookup accepts codes, names and BCP-47 tags and suggests close matches for
// unknown input.
//
// # Requests
//
// BuildInstruction phrases a Request the way BayLing was tuned: "Provide the
// German translation for this sentence: ..." or "提供这句话的德语翻译：...",
// with an optional glossary line. Validation errors carry stable codes
// (CodeBadRequest, CodeUnknownLanguage; see ErrorCode).
//
// # Output
//
// Clean cuts raw output at the first stop string, trims it and removes a
// leading "Translation:"-style echo. StopScanner and Cleaner do the same on a
// stream, holding back only what could still turn out to be a stop string, an
// incomplete UTF-8 sequence, trailing white space or a leading label.
// Translator ties it together: Request -> instruction -> prompt -> Generator
// -> streamed, cleaned translation.
package translate
