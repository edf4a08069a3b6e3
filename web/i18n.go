package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"

	"github.com/kassa-billing/kassa/locale"
)

//go:embed i18n/*.json
var catalogFS embed.FS

// catalogs holds a translator for each language kassa speaks.
type catalogs map[string]translator

// loadCatalogs reads the embedded message files, one per language of
// locale.Supported, English being the fallback.
func loadCatalogs(log *slog.Logger) (catalogs, error) {
	bundle := i18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	cs := catalogs{}
	for _, lang := range locale.Supported {
		if _, err := bundle.LoadMessageFileFS(catalogFS, "i18n/"+lang+".json"); err != nil {
			return nil, fmt.Errorf("load catalog %s: %w", lang, err)
		}
		cs[lang] = translator{loc: i18n.NewLocalizer(bundle, lang), log: log}
	}
	return cs, nil
}

// strict makes a message that names data nobody passed fail loudly instead
// of printing "<no value>".
var strict = &template.TextParser{Option: "missingkey=error"}

// translator renders the messages of one language.
type translator struct {
	loc *i18n.Localizer
	log *slog.Logger
}

// T returns the message id, filled in from args: pairs of a name and a value,
// as in T("products.trial", "Count", 30). A "Count" also picks the plural
// form. A message missing in the language is logged and shown in English, or
// as its id when English lacks it too; the catalog test rules both out.
func (t translator) T(id string, args ...any) string {
	lc := &i18n.LocalizeConfig{MessageID: id, TemplateParser: strict}
	if len(args) > 0 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			name, _ := args[i].(string)
			data[name] = args[i+1]
			if name == "Count" {
				lc.PluralCount = args[i+1]
			}
		}
		lc.TemplateData = data
	}
	s, err := t.loc.Localize(lc)
	if err != nil {
		t.log.Error("translate", "id", id, "err", err)
	}
	if s == "" {
		return id
	}
	return s
}

// msg marks a literal as a catalog key where Go code, not a template, names
// the message, so that the catalog test finds every key in use.
func msg(id string) string { return id }
