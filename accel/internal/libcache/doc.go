// Package libcache keeps one handle per shared library a backend loads
// with purego: a library is opened once per process (dlopen would hand out
// the same mapping anyway, but resolving its symbols again on every Open
// costs time), and a library that failed to open is not tried again, so an
// absent driver costs one lookup however often "auto" asks.
package libcache
