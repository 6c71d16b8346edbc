// Package render turns an analyze.Report into text, JSON, Markdown or
// JUnit XML. Every renderer is a pure function of the report and its
// options: no clock, no terminal, no environment, so output is identical
// from run to run and is tested without a terminal.
package render
