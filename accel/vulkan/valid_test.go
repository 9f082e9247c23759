//go:build linux && (amd64 || arm64)

package vulkan

import (
	"strings"
	"sync"
	"testing"

	"github.com/baylingd/baylingd/internal/acceltest"
)

// TestValidationReportsMisuse makes sure the messenger plumbing works, so
// that the silence the other tests demand means something: an invalid
// call and a leaked object must both be reported.
func TestValidationReportsMisuse(t *testing.T) {
	var mu sync.Mutex
	var msgs []string
	b, err := Open(Config{Validation: true, OnMessage: func(sev, msg string) {
		mu.Lock()
		defer mu.Unlock()
		msgs = append(msgs, sev+": "+msg)
	}})
	if err != nil {
		if IsUnavailable(err) {
			acceltest.Unavailable(t, "Vulkan", err)
		}
		t.Fatal(err)
	}
	if !b.ValidationEnabled() {
		b.Close()
		if acceltest.CI() {
			t.Fatal("validation layer not installed under CI=true (apt: vulkan-validationlayers)")
		}
		t.Skip("validation layer not installed")
	}
	// A buffer without usage flags is invalid
	// (VUID-VkBufferCreateInfo-usage-requiredbitmask) but harmless to a
	// driver that never binds memory to it.
	var a arena
	bci := &vkBufferCreateInfo{sType: vkStructureTypeBufferCreateInfo, size: 256}
	h := new(uint64)
	if b.d.createBuffer.call(uintptr(b.dev), u(ptr(&a, bci)), 0, u(ptr(&a, h))) == vkSuccess {
		b.d.destroyBuffer.callv(uintptr(b.dev), uintptr(*h), 0)
	}
	a.free()
	mu.Lock()
	n := len(msgs)
	mu.Unlock()
	if n == 0 {
		t.Error("invalid vkCreateBuffer was not reported")
	}
	// Leak one buffer: destroying the device must report it.
	leak, err := b.newBuffer(256, vkBufferUsageStorageBuffer, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	_ = leak
	b.Close()
	mu.Lock()
	defer mu.Unlock()
	leaked := false
	for _, m := range msgs[n:] {
		if strings.Contains(m, "VkBuffer") || strings.Contains(m, "VkDeviceMemory") {
			leaked = true
		}
	}
	if !leaked {
		t.Errorf("leaked buffer not reported; messages: %q", msgs)
	}
	t.Logf("%d messages, e.g. %.200s", len(msgs), msgs[0])
}
