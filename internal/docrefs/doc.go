// Package docrefs holds no code: its test checks that the repository's
// citations of its own documents resolve. Every Go comment that cites a
// document names a file under docs/ and, when it cites a section, a
// heading of that file as a GitHub anchor (docs/session-protocol.md#handshake);
// the section sign is not used. Every link in the Markdown files reaches
// an existing file and heading. docs/README.md states the form.
package docrefs
