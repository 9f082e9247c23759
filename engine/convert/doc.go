// Package convert turns a Hugging Face LlamaForCausalLM checkpoint (the form
// in which BayLing 2 is published) into a GGUF model, as llama.cpp's
// convert_hf_to_gguf.py does, without Python, torch or transformers: it
// runs on the board that will serve the model.
//
// It reads config.json and generation_config.json, the weights from
// model.safetensors or from the shards that model.safetensors.index.json
// lists (F16, BF16 or F32; the safetensors header is parsed here and the
// files are memory-mapped), and the tokenizer from tokenizer.model (a
// SentencePiece protobuf, parsed by hand) or tokenizer.json (byte-level BPE
// as Llama 3 uses), with tokenizer_config.json.
//
// The output matches llama.cpp's converter: GGUF tensor names, the rows of
// attn_q and attn_k permuted into the rotary layout llama.cpp expects, norms
// in F32, the llama.* and tokenizer.ggml.* metadata, general.file_type. With
// a quantized type (q8_0, q4_0, q4_k_m, q5_k_m, q6_k) the matrices are
// quantized on the way with package quantize and llama.cpp's tensor type
// mix, so a checkpoint goes to a Q4_K_M model in one pass, with the bytes
// llama-quantize would write from the F16 conversion.
//
// Conversion streams: one tensor at a time, in chunks of rows, with the
// pages of the mapped checkpoint released once read, so memory does not grow
// with the model: converting a 1.1 G-parameter (2.2 GB) checkpoint to
// Q4_K_M peaks at 30 MiB resident, and a 7B one fits a 2 GB board with room
// to spare. The output is written to
// a temporary file and renamed when complete. Errors name the file at fault:
// unsupported architectures, missing files, shape mismatches, truncated
// (partly downloaded) safetensors, malformed JSON.
package convert
