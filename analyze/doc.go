// Package analyze turns handshake attempts into a report: per-listener
// aggregates, the kernel code path most likely behind each failure (for the
// kernel the server ran), the evidence for it and the fix.
//
// Run reads captures through package flows and returns a Report, an
// immutable value that renderers (package analyze/render), the CLI and the
// terminal UI only display. Subpackages hold the parts: snapshot parses
// sysctl/ss/nstat snapshots, kernel models each kernel era.
package analyze
