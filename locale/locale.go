// Package locale is what kassa says in each language it speaks: English,
// Swedish and German. It picks the language of a request, holds the catalog
// of every word a person reads (catalog.go), and writes amounts and dates
// the way each language does.
package locale

import (
	"slices"

	"golang.org/x/text/language"

	"github.com/kassa-billing/kassa"
)

// The languages kassa speaks, as BCP 47 tags.
const (
	English = "en"
	Swedish = "sv"
	German  = "de"
)

// Supported lists the languages kassa speaks, English first (the fallback):
// the domain's kassa.Languages. Adding one is a file of messages/, a tag
// there and one here.
var Supported = kassa.Languages

var matcher = language.NewMatcher([]language.Tag{language.English, language.Swedish, language.German})

// Valid reports whether lang is one kassa speaks.
func Valid(lang string) bool { return slices.Contains(Supported, lang) }

// Pick returns the language to answer in: chosen when it is one kassa speaks
// (a remembered choice), else the best match of the Accept-Language header,
// else fallback (the tenant's locale), else English.
func Pick(chosen, acceptLanguage, fallback string) string {
	if Valid(chosen) {
		return chosen
	}
	if acceptLanguage != "" {
		tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
		if err == nil && len(tags) > 0 {
			_, i, conf := matcher.Match(tags...)
			if conf != language.No {
				return Supported[i]
			}
		}
	}
	if Valid(fallback) {
		return fallback
	}
	return English
}
