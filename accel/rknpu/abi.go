//go:build linux && (amd64 || arm64)

//lint:file-ignore U1000 the structs mirror C layouts: every field must exist, used or not

package rknpu

import "unsafe"

// Go mirrors of the RKNN matmul ABI (rknn_matmul_api.h and rknn_api.h of
// the RKNPU2 SDK; testdata/rknn_abi.h restates them). Type rknnFoo is C
// rknn_foo and field names are the C member names, so that layout_test.go
// can check sizes and offsets against the header with gcc. All members are
// 2- or 4-byte integers or arrays of them, except rknn_tensor_mem's, whose
// pointers and uint64 make the 64-bit layout differ from 32-bit ARM: this
// file is built for 64-bit targets only (as is rknn_context = uint64_t).

const (
	rknnSucc                  = 0
	rknnErrDeviceUnavailable  = -3
	rknnErrMallocFail         = -4
	rknnMaxDims               = 16
	rknnMaxNameLen            = 256
	rknnTensorInt8            = 2
	rknnTensorInt32           = 6
	rknnInt8MMInt8ToInt32     = 2 // rknn_matmul_type RKNN_INT8_MM_INT8_TO_INT32
	rknnMMLayoutNorm          = 0
	rknnMMLayoutNative        = 1
	rknnMaxK                  = 10240 // "K max: k <= 10240" (rknn_matmul_set_io_mem)
	rknnAlign                 = 32    // K and N alignment for int8 on RK3588/RK3576
	rknnErrFail               = -1
	rknnErrDeviceUnmatch      = -10
	rknnErrTargetPlatformMism = -13
)

// rknnMatmulInfo is C rknn_matmul_info (64 bytes).
type rknnMatmulInfo struct {
	M               int32
	K               int32
	N               int32
	type_           int32 // rknn_matmul_type
	B_layout        int16
	B_quant_type    int16
	AC_layout       int16
	AC_quant_type   int16
	iommu_domain_id int32
	group_size      int16
	reserved        [34]int8
}

// rknnMatmulTensorAttr is C rknn_matmul_tensor_attr (332 bytes).
type rknnMatmulTensorAttr struct {
	name   [rknnMaxNameLen]byte
	n_dims uint32
	dims   [rknnMaxDims]uint32
	size   uint32
	type_  int32 // rknn_tensor_type
}

// rknnMatmulIOAttr is C rknn_matmul_io_attr (996 bytes).
type rknnMatmulIOAttr struct {
	A rknnMatmulTensorAttr
	B rknnMatmulTensorAttr
	C rknnMatmulTensorAttr
}

// rknnTensorMem is C rknn_tensor_mem (40 bytes on LP64). Always allocated
// by the runtime (rknn_create_mem); Go only reads it.
type rknnTensorMem struct {
	virt_addr unsafe.Pointer
	phys_addr uint64
	fd        int32
	offset    int32
	size      uint32
	flags     uint32
	priv_data unsafe.Pointer
}
