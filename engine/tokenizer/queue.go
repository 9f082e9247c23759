package tokenizer

// queue is a binary heap: pop returns the item that comes before all
// others. Both tokenizers merge symbol pairs in the order of such a queue
// (BPE by merge rank, SentencePiece by score).
type queue[T interface{ before(T) bool }] []T

func (q *queue[T]) push(x T) {
	*q = append(*q, x)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h[i].before(h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *queue[T]) pop() T {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].before(h[l]) {
			m = r
		}
		if !h[m].before(h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}

// The bigram types order themselves for queue (staticcheck does not see
// methods used only through a type constraint).
var (
	_ interface{ before(bpeBigram) bool } = bpeBigram{}
	_ interface{ before(spmBigram) bool } = spmBigram{}
)
