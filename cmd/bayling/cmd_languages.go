package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/baylingd/baylingd/translate"
)

func init() {
	register(&command{
		name:    "languages",
		summary: "list the languages translate accepts (codes and names)",
		usage:   "[--json]",
		run:     runLanguages,
	})
}

func runLanguages(e *env, args []string) error {
	fs := newFlags(e, "languages")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	all := translate.All()
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(all)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tISO 639-3\tNAME\tNATIVE\tSCRIPT")
	for _, l := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Code, l.ISO639_3, l.Name, l.Native, l.Script)
	}
	return tw.Flush()
}
