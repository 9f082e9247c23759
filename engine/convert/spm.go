package convert

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// A SentencePiece tokenizer.model is a serialized ModelProto (protobuf,
// sentencepiece_model.proto). The converter needs little of it: the pieces
// (text, score, type) and the special ids of the trainer spec. It is
// decoded here from the protobuf wire format directly, so the converter
// needs no protobuf library or generated code; unknown fields are skipped
// as protobuf requires.

// SentencePiece piece types (sentencepiece_model.proto), which GGUF's
// tokenizer.ggml.token_type reuses with the same numbers.
const (
	spNormal      = 1
	spUnknown     = 2
	spControl     = 3
	spUserDefined = 4
	spUnused      = 5
	spByte        = 6
)

// spPiece is one vocabulary entry.
type spPiece struct {
	Piece string
	Score float32
	Type  int32
}

// spModel is the part of a ModelProto the converter uses.
type spModel struct {
	Pieces    []spPiece
	ModelType int32 // TrainerSpec.model_type: 1 unigram, 2 BPE, 3 word, 4 char
	UnkID     int32
	BOSID     int32
	EOSID     int32
	PadID     int32
}

// maxPieces bounds the vocabulary a tokenizer.model may declare, far
// above any real one, so that a corrupt file cannot make the parser
// allocate without limit.
const maxPieces = 1 << 22

var errTruncated = errors.New("truncated protobuf")

// pbReader decodes protobuf wire format.
type pbReader struct {
	b   []byte
	off int
}

func (r *pbReader) done() bool { return r.off >= len(r.b) }

func (r *pbReader) varint() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if r.off >= len(r.b) {
			return 0, errTruncated
		}
		c := r.b[r.off]
		r.off++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			if shift == 63 && c > 1 {
				return 0, errors.New("varint overflows 64 bits")
			}
			return v, nil
		}
	}
	return 0, errors.New("varint longer than 10 bytes")
}

// field reads a field key: its number and wire type.
func (r *pbReader) field() (num int, wire int, err error) {
	k, err := r.varint()
	if err != nil {
		return 0, 0, err
	}
	num, wire = int(k>>3), int(k&7)
	if num == 0 || k>>3 > math.MaxInt32 {
		return 0, 0, fmt.Errorf("invalid field number %d", k>>3)
	}
	return num, wire, nil
}

func (r *pbReader) bytes() ([]byte, error) {
	n, err := r.varint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(r.b)-r.off) {
		return nil, errTruncated
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *pbReader) fixed32() (uint32, error) {
	if len(r.b)-r.off < 4 {
		return 0, errTruncated
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v, nil
}

// skip skips a field of the given wire type.
func (r *pbReader) skip(wire int) error {
	switch wire {
	case 0:
		_, err := r.varint()
		return err
	case 1:
		if len(r.b)-r.off < 8 {
			return errTruncated
		}
		r.off += 8
		return nil
	case 2:
		_, err := r.bytes()
		return err
	case 5:
		_, err := r.fixed32()
		return err
	}
	// 3 and 4 are proto2 groups, which sentencepiece_model.proto does not
	// use; 6 and 7 do not exist.
	return fmt.Errorf("unsupported wire type %d", wire)
}

// int32Field decodes an int32 varint (negative values are sign-extended to
// 64 bits on the wire).
func int32Field(v uint64) int32 { return int32(int64(v)) }

// parseSentencePiece decodes a tokenizer.model.
func parseSentencePiece(b []byte) (*spModel, error) {
	m := &spModel{UnkID: 0, BOSID: 1, EOSID: 2, PadID: -1} // the proto defaults
	r := &pbReader{b: b}
	for !r.done() {
		num, wire, err := r.field()
		if err != nil {
			return nil, fmt.Errorf("at byte %d: %w", r.off, err)
		}
		switch {
		case num == 1 && wire == 2: // repeated SentencePiece pieces
			sub, err := r.bytes()
			if err != nil {
				return nil, fmt.Errorf("piece %d: %w", len(m.Pieces), err)
			}
			if len(m.Pieces) >= maxPieces {
				return nil, fmt.Errorf("more than %d pieces", maxPieces)
			}
			p, err := parsePiece(sub)
			if err != nil {
				return nil, fmt.Errorf("piece %d: %w", len(m.Pieces), err)
			}
			m.Pieces = append(m.Pieces, p)
		case num == 2 && wire == 2: // TrainerSpec trainer_spec
			sub, err := r.bytes()
			if err != nil {
				return nil, fmt.Errorf("trainer_spec: %w", err)
			}
			if err := m.parseTrainerSpec(sub); err != nil {
				return nil, fmt.Errorf("trainer_spec: %w", err)
			}
		default:
			if err := r.skip(wire); err != nil {
				return nil, fmt.Errorf("field %d: %w", num, err)
			}
		}
	}
	if len(m.Pieces) == 0 {
		return nil, errors.New("no pieces: not a SentencePiece model")
	}
	return m, nil
}

func parsePiece(b []byte) (spPiece, error) {
	p := spPiece{Type: spNormal}
	r := &pbReader{b: b}
	for !r.done() {
		num, wire, err := r.field()
		if err != nil {
			return p, err
		}
		switch {
		case num == 1 && wire == 2:
			s, err := r.bytes()
			if err != nil {
				return p, err
			}
			p.Piece = string(s)
		case num == 2 && wire == 5:
			v, err := r.fixed32()
			if err != nil {
				return p, err
			}
			p.Score = math.Float32frombits(v)
		case num == 3 && wire == 0:
			v, err := r.varint()
			if err != nil {
				return p, err
			}
			p.Type = int32Field(v)
			if p.Type < spNormal || p.Type > spByte {
				return p, fmt.Errorf("unknown piece type %d", p.Type)
			}
		default:
			if err := r.skip(wire); err != nil {
				return p, fmt.Errorf("field %d: %w", num, err)
			}
		}
	}
	return p, nil
}

func (m *spModel) parseTrainerSpec(b []byte) error {
	r := &pbReader{b: b}
	for !r.done() {
		num, wire, err := r.field()
		if err != nil {
			return err
		}
		var dst *int32
		switch num {
		case 3:
			dst = &m.ModelType
		case 40:
			dst = &m.UnkID
		case 41:
			dst = &m.BOSID
		case 42:
			dst = &m.EOSID
		case 43:
			dst = &m.PadID
		}
		if dst != nil && wire == 0 {
			v, err := r.varint()
			if err != nil {
				return err
			}
			*dst = int32Field(v)
			continue
		}
		if err := r.skip(wire); err != nil {
			return fmt.Errorf("field %d: %w", num, err)
		}
	}
	return nil
}
