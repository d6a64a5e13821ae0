package checkrun

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/ssmdoctor/ssmdoctor/checks"
)

// CatalogueFormats are the forms Catalogue writes.
var CatalogueFormats = []string{"human", "json"}

// Catalogue is the list of every check (--list-checks) as a table
// ("human") or as JSON (schemaVersion 1: checks[] of id, layer, title,
// dependsOn).
func Catalogue(format string) ([]byte, error) {
	var buf bytes.Buffer
	switch format {
	case "json":
		type entry struct {
			ID        string   `json:"id"`
			Layer     string   `json:"layer"`
			Title     string   `json:"title"`
			DependsOn []string `json:"dependsOn"`
		}
		doc := struct {
			SchemaVersion int     `json:"schemaVersion"`
			Checks        []entry `json:"checks"`
		}{SchemaVersion: 1}
		for _, c := range checks.All() {
			doc.Checks = append(doc.Checks, entry{c.ID(), string(c.Layer()), c.Title(), append([]string{}, c.DependsOn()...)})
		}
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("list checks: %w", err)
		}
	case "human":
		tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tLAYER\tTITLE\tDEPENDS ON")
		for _, c := range checks.All() {
			deps := strings.Join(c.DependsOn(), ",")
			if deps == "" {
				deps = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID(), c.Layer(), c.Title(), deps)
		}
		tw.Flush()
	default:
		return nil, fmt.Errorf("list checks: no %s form", format)
	}
	return buf.Bytes(), nil
}
