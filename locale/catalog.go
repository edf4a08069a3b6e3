package locale

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"

	"github.com/kassa-billing/kassa"
)

// The catalog: every word kassa shows a person — pages, mail, PDF invoices
// and the messages of errors — is a message of messages/LANG.json, one file
// per language in go-i18n's format, with the same keys in each (a test holds
// them equal). A message's placeholders are Go template fields,
// {{.Name}}; a message with "one" and "other" forms is picked by Count.

//go:embed messages/*.json
var messageFS embed.FS

// bundle reads the embedded catalog once; it is only read after.
var bundle = sync.OnceValue(func() *i18n.Bundle {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, lang := range Supported {
		if _, err := b.LoadMessageFileFS(messageFS, "messages/"+lang+".json"); err != nil {
			// The files are part of the binary and TestCatalog reads them.
			panic(fmt.Sprintf("load catalog %s: %v", lang, err))
		}
	}
	return b
})

// Words renders the catalog's messages in one language.
type Words struct {
	lang string
	loc  *i18n.Localizer
}

// In returns the words of lang, or of English when kassa does not speak it.
func In(lang string) Words {
	if !Valid(lang) {
		lang = English
	}
	return Words{lang: lang, loc: i18n.NewLocalizer(bundle(), lang)}
}

// Lang returns the language of w.
func (w Words) Lang() string { return w.lang }

// strict makes a message that names data nobody passed fail instead of
// printing "<no value>".
var strict = &template.TextParser{Option: "missingkey=error"}

// T returns message id filled in from args: pairs of a name and a value, as
// in T("products.trial", "Count", 30). A "Count" also picks the plural form.
// A message the language lacks is shown in English, and one English lacks
// too as its id; TestCatalog rules both out for the keys the code names.
func (w Words) T(id string, args ...any) string {
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
	s, _ := w.loc.Localize(lc)
	if s == "" {
		return id
	}
	return s
}

// Error returns what err says to a person reading w's language: the
// catalog's message for a *kassa.Error with a key (a subscription status
// among its arguments in words too), followed by each user it
// refused and why; the message of one without a key; and "Internal error."
// in words for any other error, whose cause is for the log alone.
func (w Words) Error(err error) string {
	e, ok := errors.AsType[*kassa.Error](err)
	switch {
	case !ok:
		return w.T("error.internal.message")
	case e.Key == "":
		return e.Message
	}
	args := make([]any, len(e.Args))
	for i, v := range e.Args {
		switch x := v.(type) {
		case kassa.SubscriptionStatus:
			v = w.T("status." + string(x))
		case kassa.Money:
			v = FormatMoney(x, w.Lang())
		}
		args[i] = v
	}
	s := w.T(e.Key, args...)
	for _, r := range e.Refused {
		s += " " + w.Refusal(r)
	}
	return s
}

// RefusalKey returns the catalog's message for a refusal; it names the user
// as Name.
func RefusalKey(r kassa.Refusal) string {
	switch r {
	case kassa.RefusedGuest:
		return msg("assign.refused.guest")
	case kassa.RefusedDisabled:
		return msg("assign.refused.disabled")
	case kassa.RefusedHasLicense:
		return msg("assign.refused.has_license")
	case kassa.RefusedNoLicense:
		return msg("unassign.refused.no_license")
	case kassa.RefusedViaGroup:
		return msg("unassign.refused.via_group")
	}
	return msg("assign.refused.not_found")
}

// Refusal returns why one user of a refused batch was refused, naming them.
func (w Words) Refusal(r kassa.Refused) string {
	name := r.Name
	if name == "" {
		name = r.UserID
	}
	return w.T(RefusalKey(r.Reason), "Name", name)
}

// Problem returns one fault of a refused batch in words, with where it is:
// "line 12, column 9: ANALYTICS_PRO prices.monthly.SEK: A price is …".
func (w Words) Problem(p kassa.Problem) string {
	message := w.T(p.Key, p.Args...)
	switch {
	case p.Line > 0 && p.Column > 0 && p.Item == "" && p.Field == "":
		return w.T("problem.position", "Line", p.Line, "Column", p.Column, "Message", message)
	case p.Line > 0 && p.Column > 0:
		return w.T("problem.at", "Line", p.Line, "Column", p.Column, "Item", p.Item, "Field", p.Field, "Message", message)
	case p.Line > 0:
		return w.T("problem.line", "Line", p.Line, "Message", message) // the message names its field
	case p.Item != "" || p.Field != "":
		return w.T("problem.item", "Item", p.Item, "Field", p.Field, "Message", message)
	}
	return message
}

// Problems returns each fault of err, a refused batch, in words.
func (w Words) Problems(err error) []string {
	e, ok := errors.AsType[*kassa.Error](err)
	if !ok {
		return nil
	}
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = w.Problem(p)
	}
	return out
}

// msg marks a literal as a catalog key where Go code, not a T call, names
// the message, so that TestCatalog finds every key in use.
func msg(id string) string { return id }
