// Package tokenizer turns text into token ids and back for BayLing 2 models,
// reading the vocabulary from a GGUF file's tokenizer.ggml.* metadata and
// reproducing llama.cpp's tokenizer exactly, so that our prompts are the
// token sequences the model was evaluated with and our outputs can be
// compared with llama.cpp's token for token.
//
// Two families are supported, the two BayLing 2 uses:
//
//   - SentencePiece ("llama", BayLing-2-7B/13B, the Llama-2 vocabulary):
//     spaces become "▁", a "▁" is put before the text and after every special
//     token (add_space_prefix), adjacent symbols are merged by vocabulary score
//     with a priority queue (llama.cpp's llm_tokenizer_spm), and characters
//     that are no token are spelled with <0xNN> byte tokens.
//   - Byte-level BPE ("gpt2" with pre-tokenizer "llama-bpe",
//     BayLing-2-llama-3-8B): the Llama-3 pre-tokenizer regex, implemented as
//     llama.cpp's hand-written matcher; GPT-2's byte-to-character mapping;
//     merges by rank with a priority queue, looked up by token-id pair; and
//     ignore_merges (a pre-token that is itself a token is emitted whole).
//
// Special tokens (<s>, <|eot_id|>) are recognised in the text only when the
// caller asks for it: Encode's parseSpecial, or a Special Segment given to
// EncodeSegments. The daemon builds prompts with EncodeSegments so that a user
// who types "<|eot_id|>" gets those characters, not a forged end of turn.
//
// Decoding has three forms: Piece/AppendPiece for one token (bytes, possibly
// part of a character), Detokenize and Decode for a sequence, and a streaming
// Decoder that only ever returns whole UTF-8 characters.
//
// Decoding gives the text back (Decode(Encode(s)) == s) for valid UTF-8,
// with one exception that llama.cpp shares: SentencePiece decodes a "▁"
// (U+2581) in the input as a space, since that is its space marker.
//
// Where this package knowingly departs from llama.cpp, it is on input that
// makes llama.cpp fail or on display-only behaviour, and each place says so:
// a 4-byte UTF-8 form above U+10FFFF (llama.cpp throws; here each byte is
// U+FFFD), an SPM vocabulary without a needed byte token (llama.cpp throws;
// here <unk>), and Decode's handling of the leading space and of Llama-3's
// space clean-up (see Decode). Unicode classes come from Go's tables (Unicode
// 15.0) plus CJK Extension I, which is what llama.cpp's Unicode 15.1 tables
// add for the pre-tokenizer's purposes.
package tokenizer
