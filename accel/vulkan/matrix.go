//go:build linux && (amd64 || arm64)

package vulkan

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/baylingd/baylingd/kernels"
)

// pushConstants is the Params block of shaders/matmul.comp.
type pushConstants struct {
	rows, cols, batch, rowBytes, outStride, outOffset uint32
}

// Tile sizes of the shader (TM, TN).
const tileRows, tileBatch = 32, 32

// Matrix is a weight matrix resident in device memory. It is split by rows
// into chunks when it is larger than one storage buffer binding may be.
type Matrix struct {
	b         *Backend
	name      string
	t         kernels.Type
	rows      int
	cols      int
	rowBytes  int
	pipeline  uint64
	pool      uint64 // descriptor pool holding one set per chunk
	chunks    []chunk
	gen       uint64 // Backend.scratchGen the sets were last bound to
	timing    Timing
	freed     bool // no more MatMul
	destroyed bool // Vulkan objects released
}

type chunk struct {
	row0, rows int
	buf        *buffer
	set        uint64
}

// Upload copies a weight matrix of rows x cols elements of type t, in GGUF
// row layout (data is exactly rows * t.RowBytes(cols) bytes), into device
// memory. data is not retained.
func (b *Backend) Upload(name string, t kernels.Type, rows, cols int, data []byte) (*Matrix, error) {
	if !b.Supports(t) {
		return nil, fmt.Errorf("vulkan: %s: weight type %v is not supported", name, t)
	}
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("vulkan: %s: bad shape %d x %d", name, rows, cols)
	}
	rowBytes, err := t.RowBytes(cols)
	if err != nil {
		return nil, fmt.Errorf("vulkan: %s: %w", name, err)
	}
	if rows > len(data)/rowBytes || len(data) != rows*rowBytes {
		return nil, fmt.Errorf("vulkan: %s: %d bytes of data for %d x %d %v (want %d)", name, len(data), rows, cols, t, rows*rowBytes)
	}
	if uint64(cols)*4 > b.maxRange {
		return nil, fmt.Errorf("vulkan: %s: rows of %d elements exceed the device's storage buffer limit", name, cols)
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return nil, err
	}
	pipe, err := b.pipeline(t)
	if err != nil {
		return nil, err
	}
	// Rows per buffer: bounded by the binding range (less the 4 bytes of
	// padding ld32 may touch) and by the workgroup count limit.
	per := int((b.maxRange - 4) / uint64(rowBytes))
	if maxGroups := int(b.limits.maxComputeWorkGroupCount[0]); per > maxGroups*tileRows {
		per = maxGroups * tileRows
	}
	if per < 1 {
		return nil, fmt.Errorf("vulkan: %s: a row of %d bytes exceeds the storage buffer limit of %d", name, rowBytes, b.maxRange)
	}
	m := &Matrix{b: b, name: name, t: t, rows: rows, cols: cols, rowBytes: rowBytes, pipeline: pipe}
	for r := 0; r < rows; r += per {
		n := min(per, rows-r)
		m.chunks = append(m.chunks, chunk{row0: r, rows: n})
	}
	if err := m.allocate(data); err != nil {
		m.freeLocked()
		return nil, fmt.Errorf("vulkan: %s: %w", name, err)
	}
	b.matrices[m] = struct{}{}
	return m, nil
}

// allocate creates the chunk buffers, fills them and writes binding 0 of
// each chunk's descriptor set.
func (m *Matrix) allocate(data []byte) error {
	b := m.b
	d, dev := b.d, uintptr(b.dev)
	var a arena
	defer a.free()

	n := uint32(len(m.chunks))
	sizes := []vkDescriptorPoolSize{{type_: vkDescriptorTypeStorageBuffer, descriptorCount: 3 * n}}
	pci := &vkDescriptorPoolCreateInfo{sType: vkStructureTypeDescriptorPoolCreateInfo, maxSets: n, poolSizeCount: 1, pPoolSizes: slice(&a, sizes)}
	pool := new(uint64)
	if err := check("vkCreateDescriptorPool", d.createDescriptorPool.call(dev, u(ptr(&a, pci)), 0, u(ptr(&a, pool)))); err != nil {
		return err
	}
	m.pool = *pool
	layouts := make([]uint64, n)
	for i := range layouts {
		layouts[i] = b.setLayout
	}
	sets := make([]uint64, n)
	sai := &vkDescriptorSetAllocateInfo{sType: vkStructureTypeDescriptorSetAllocateInfo, descriptorPool: m.pool, descriptorSetCount: n, pSetLayouts: slice(&a, layouts)}
	if err := check("vkAllocateDescriptorSets", d.allocateDescriptorSets.call(dev, u(ptr(&a, sai)), u(slice(&a, sets)))); err != nil {
		return err
	}

	// Weights live in device-local memory. On a discrete GPU that memory
	// is not host-visible, or only through a small BAR window, so a type
	// without HOST_VISIBLE is preferred there and the data goes through
	// the staging buffer; on UMA devices (every ARM board, lavapipe) the
	// device-local memory is host-visible and is written directly.
	prefs := []uint32{vkMemoryPropertyDeviceLocal, 0}
	for i := range m.chunks {
		c := &m.chunks[i]
		c.set = sets[i]
		nbytes := uint64(c.rows * m.rowBytes)
		size := (nbytes+3)&^3 + 4 // whole words, plus the word ld32 may read past the end
		buf, err := b.newBuffer(size, vkBufferUsageStorageBuffer|vkBufferUsageTransferDst, false, prefs...)
		if err != nil {
			return err
		}
		c.buf = buf
		src := data[c.row0*m.rowBytes : c.row0*m.rowBytes+int(nbytes)]
		if err := b.fill(buf, src); err != nil {
			return err
		}
		info := &vkDescriptorBufferInfo{buffer: buf.buf, offset: 0, range_: size}
		wr := &vkWriteDescriptorSet{sType: vkStructureTypeWriteDescriptorSet, dstSet: c.set, dstBinding: 0, descriptorCount: 1, descriptorType: vkDescriptorTypeStorageBuffer, pBufferInfo: ptr(&a, info)}
		d.updateDescriptorSets.callv(dev, 1, u(ptr(&a, wr)), 0, 0)
	}
	return nil
}

// fill writes src to the start of the device buffer dst: directly when its
// memory is host-visible and coherent (and staging is not forced), else
// through the staging buffer with copy commands.
func (b *Backend) fill(dst *buffer, src []byte) error {
	d, dev := b.d, uintptr(b.dev)
	if dst.flags&hostCoherent == hostCoherent && !b.cfg.ForceStaging {
		var a arena
		defer a.free()
		p := new(unsafe.Pointer)
		if err := check("vkMapMemory", d.mapMemory.call(dev, uintptr(dst.mem), 0, uintptr(dst.size), 0, u(ptr(&a, p)))); err != nil {
			return err
		}
		copy(unsafe.Slice((*byte)(*p), dst.size), src)
		d.unmapMemory.callv(dev, uintptr(dst.mem))
		return nil
	}
	if b.staging == nil {
		s, err := b.newBuffer(uint64(b.cfg.StagingBytes), vkBufferUsageTransferSrc, true, hostCoherent)
		if err != nil {
			return err
		}
		b.staging = s
	}
	for off := 0; off < len(src); {
		n := min(len(src)-off, int(b.staging.size))
		copy(b.staging.bytes(), src[off:off+n])
		if err := b.begin(); err != nil {
			return err
		}
		var a arena
		region := &vkBufferCopy{srcOffset: 0, dstOffset: uint64(off), size: uint64(n)}
		d.cmdCopyBuffer.callv(uintptr(b.cmd), uintptr(b.staging.buf), uintptr(dst.buf), 1, u(ptr(&a, region)))
		a.free()
		// Make the copy visible to the shaders of later submissions.
		b.barrier(vkPipelineStageTransfer, vkPipelineStageComputeShader, vkAccessTransferWrite, vkAccessShaderRead)
		if err := b.submit(); err != nil {
			return err
		}
		off += n
	}
	return nil
}

// Rows and Cols return the shape of the matrix.
func (m *Matrix) Rows() int { return m.rows }

// Cols returns the number of columns (K).
func (m *Matrix) Cols() int { return m.cols }

// Chunks returns the number of device buffers the matrix is split into.
func (m *Matrix) Chunks() int { return len(m.chunks) }

// LastTiming returns what the last successful MatMul cost.
func (m *Matrix) LastTiming() Timing {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	return m.timing
}

// MatMul computes out[j*rows + r] = sum_c W[r][c] * x[j*cols + c] for
// j < batch. x must hold at least batch*cols values and out batch*rows;
// only the first batch*rows values of out are written. The result is
// accumulated in float32 on the device.
func (m *Matrix) MatMul(x []float32, batch int, out []float32) error {
	if batch <= 0 {
		return fmt.Errorf("vulkan: %s: batch %d", m.name, batch)
	}
	if len(x)/m.cols < batch || len(out)/m.rows < batch {
		return fmt.Errorf("vulkan: %s: batch %d needs %d inputs and %d outputs, got %d and %d", m.name, batch, batch*m.cols, batch*m.rows, len(x), len(out))
	}
	b := m.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if m.freed {
		return ErrClosed
	}
	if err := b.usable(); err != nil {
		return err
	}
	start := time.Now()
	// A batch larger than one binding of activations or results is done
	// in pieces, one submission each.
	per := min(b.maxRange/uint64(4*m.cols), b.maxRange/uint64(4*m.rows))
	per = min(per, uint64(b.limits.maxComputeWorkGroupCount[1])*tileBatch)
	if per == 0 {
		return fmt.Errorf("vulkan: %s: one activation row exceeds the storage buffer limit", m.name)
	}
	var kernel time.Duration
	for j0 := 0; j0 < batch; j0 += int(per) {
		n := min(batch-j0, int(per))
		if err := m.run(x[j0*m.cols:(j0+n)*m.cols], n, out[j0*m.rows:(j0+n)*m.rows]); err != nil {
			return fmt.Errorf("vulkan: %s: %w", m.name, err)
		}
		kernel += b.kernelTime()
	}
	m.timing = Timing{Kernel: kernel, Total: time.Since(start)}
	return nil
}

// run does one submission for n activation rows.
func (m *Matrix) run(x []float32, n int, out []float32) error {
	b := m.b
	d, dev := b.d, uintptr(b.dev)
	if err := b.ensureScratch(uint64(len(x))*4, uint64(len(out))*4); err != nil {
		return err
	}
	copy(b.xbuf.floats(), x)

	var a arena
	defer a.free()
	if m.gen != b.scratchGen {
		// The scratch buffers were replaced since this matrix last ran
		// (or it never ran): point bindings 1 and 2 of every chunk at
		// them. Safe because no submission is pending (begin waits for
		// each one).
		xi := &vkDescriptorBufferInfo{buffer: b.xbuf.buf, range_: b.xbuf.size}
		oi := &vkDescriptorBufferInfo{buffer: b.obuf.buf, range_: b.obuf.size}
		writes := make([]vkWriteDescriptorSet, 0, 2*len(m.chunks))
		for _, c := range m.chunks {
			writes = append(writes,
				vkWriteDescriptorSet{sType: vkStructureTypeWriteDescriptorSet, dstSet: c.set, dstBinding: 1, descriptorCount: 1, descriptorType: vkDescriptorTypeStorageBuffer, pBufferInfo: ptr(&a, xi)},
				vkWriteDescriptorSet{sType: vkStructureTypeWriteDescriptorSet, dstSet: c.set, dstBinding: 2, descriptorCount: 1, descriptorType: vkDescriptorTypeStorageBuffer, pBufferInfo: ptr(&a, oi)})
		}
		d.updateDescriptorSets.callv(dev, uintptr(len(writes)), u(slice(&a, writes)), 0, 0)
		m.gen = b.scratchGen
	}

	if err := b.begin(); err != nil {
		return err
	}
	cmd := uintptr(b.cmd)
	if b.queryPool != 0 {
		d.cmdResetQueryPool.callv(cmd, uintptr(b.queryPool), 0, 2)
		d.cmdWriteTimestamp.callv(cmd, vkPipelineStageTopOfPipe, uintptr(b.queryPool), 0)
	}
	d.cmdBindPipeline.callv(cmd, vkPipelineBindPointCompute, uintptr(m.pipeline))
	pc := &pushConstants{cols: uint32(m.cols), batch: uint32(n), rowBytes: uint32(m.rowBytes), outStride: uint32(m.rows)}
	sets := make([]uint64, 1)
	for _, c := range m.chunks {
		sets[0] = c.set
		d.cmdBindDescriptorSets.callv(cmd, vkPipelineBindPointCompute, uintptr(b.pipeLayout), 0, 1, u(slice(&a, sets)), 0, 0)
		pc.rows, pc.outOffset = uint32(c.rows), uint32(c.row0)
		// vkCmdPushConstants copies the values at record time.
		d.cmdPushConstants.callv(cmd, uintptr(b.pipeLayout), vkShaderStageCompute, 0, unsafe.Sizeof(*pc), u(ptr(&a, pc)))
		d.cmdDispatch.callv(cmd, uintptr((c.rows+tileRows-1)/tileRows), uintptr((n+tileBatch-1)/tileBatch), 1)
	}
	if b.queryPool != 0 {
		d.cmdWriteTimestamp.callv(cmd, vkPipelineStageBottomOfPipe, uintptr(b.queryPool), 1)
	}
	// Make the shader writes visible to the host reads below.
	b.barrier(vkPipelineStageComputeShader, vkPipelineStageHost, vkAccessShaderWrite, vkAccessHostRead)
	if err := b.submit(); err != nil {
		return err
	}
	copy(out, b.obuf.floats()[:len(out)])
	return nil
}

// Free releases the device memory of the matrix. Further MatMul calls
// return ErrClosed; calling Free again does nothing.
func (m *Matrix) Free() {
	b := m.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.broken != nil {
		// A submission that timed out may still be using the buffers:
		// leave them (and m in b.matrices) to Close, which waits for
		// the device before destroying anything.
		m.freed = true
		return
	}
	// No submission is ever left pending (each is waited for), so the
	// buffers are idle.
	m.freeLocked()
}

func (m *Matrix) freeLocked() {
	if m.destroyed {
		return
	}
	m.freed, m.destroyed = true, true
	b := m.b
	delete(b.matrices, m)
	if b.dev == 0 {
		return
	}
	for i := range m.chunks {
		b.freeBuffer(m.chunks[i].buf)
		m.chunks[i].buf = nil
	}
	if m.pool != 0 { // frees the sets with it
		b.d.destroyDescriptorPool.callv(uintptr(b.dev), uintptr(m.pool), 0)
		m.pool = 0
	}
}
