package gguf

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/baylingd/baylingd/internal/fixtures"
)

// mappingRSS returns the resident bytes of the mapping that starts at addr,
// read from /proc/self/smaps.
func mappingRSS(t *testing.T, addr uintptr) int64 {
	t.Helper()
	fh, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatalf("smaps: %v", err)
	}
	defer fh.Close()
	prefix := fmt.Sprintf("%x-", addr)
	sc := bufio.NewScanner(fh)
	found := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, prefix) {
			found = true
			continue
		}
		if found && strings.HasPrefix(line, "Rss:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb * 1024
		}
	}
	t.Fatalf("mapping at %#x not found in smaps", addr)
	return 0
}

// TestMappedNotCopied checks that opening a model maps it instead of
// reading it: the mapping's resident size covers the header, and grows by
// about the size of a tensor when that tensor is read, not by the file.
func TestMappedNotCopied(t *testing.T) {
	f, err := Open(fixtures.Path(t, "tiny-llama3-q4_k_m.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	addr := uintptr(unsafe.Pointer(&f.data[0]))
	const slack = 1 << 20 // fault-around maps up to 64 KiB near each touched page
	afterOpen := mappingRSS(t, addr)
	ti, _ := f.Tensor("token_embd.weight")
	data := f.TensorData(ti)
	var sum byte
	for i := 0; i < len(data); i += 4096 {
		sum += data[i]
	}
	afterTouch := mappingRSS(t, addr)
	t.Logf("file %d MiB, header %d KiB; mapping RSS after open %d KiB, after reading %s (%d KiB) %d KiB (checksum %d)",
		f.Size()>>20, f.DataOffset>>10, afterOpen>>10, ti.Name, ti.Size>>10, afterTouch>>10, sum)
	if afterOpen > int64(f.DataOffset)+slack {
		t.Errorf("RSS after open %d exceeds the header size %d", afterOpen, f.DataOffset)
	}
	grew := afterTouch - afterOpen
	if grew < int64(ti.Size)*9/10 || grew > int64(ti.Size)+slack {
		t.Errorf("RSS grew by %d reading a %d-byte tensor", grew, ti.Size)
	}
	if afterTouch > f.Size()*3/4 {
		t.Errorf("RSS %d: most of the %d-byte file is resident after reading one tensor", afterTouch, f.Size())
	}
}
