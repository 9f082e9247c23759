//go:build linux && (amd64 || arm64)

package vulkan

import (
	"sync"

	"github.com/ebitengine/purego"
)

// The debug-utils callback is one C function pointer for the whole
// process: purego can make only a bounded number of callbacks and never
// frees them, so backends do not each get their own. Each backend that
// enables validation registers its OnMessage under a small integer id and
// passes the id as pUserData; the callback finds the receiver by id. An
// integer rather than a Go pointer, because the driver keeps pUserData
// for as long as the messenger lives.

var (
	cbOnce   sync.Once
	cbPtr    uintptr
	msgMu    sync.Mutex
	msgNext  uintptr
	msgFuncs = map[uintptr]func(severity, message string){}
)

func debugCallback() uintptr {
	cbOnce.Do(func() {
		cbPtr = purego.NewCallback(onDebugMessage)
	})
	return cbPtr
}

func registerMessages(f func(severity, message string)) uintptr {
	msgMu.Lock()
	defer msgMu.Unlock()
	msgNext++
	msgFuncs[msgNext] = f
	return msgNext
}

func unregisterMessages(id uintptr) {
	msgMu.Lock()
	defer msgMu.Unlock()
	delete(msgFuncs, id)
}

// onDebugMessage is PFN_vkDebugUtilsMessengerCallbackEXT. It returns
// VK_FALSE, as the specification requires of application callbacks.
func onDebugMessage(severity, types uint32, data *vkDebugUtilsMessengerCallbackDataEXT, user uintptr) uintptr {
	msgMu.Lock()
	f := msgFuncs[user]
	msgMu.Unlock()
	if f == nil || data == nil {
		return 0
	}
	sev := "info"
	switch {
	case severity&vkDebugSeverityError != 0:
		sev = "error"
	case severity&vkDebugSeverityWarning != 0:
		sev = "warning"
	}
	msg := gostring(data.pMessage)
	if id := gostring(data.pMessageIdName); id != "" {
		msg = id + ": " + msg
	}
	f(sev, msg)
	return 0
}
