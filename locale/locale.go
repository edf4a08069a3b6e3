// Package locale picks the language kassa answers in: English or Swedish.
package locale

import (
	"golang.org/x/text/language"
)

// The languages kassa speaks, as BCP 47 tags.
const (
	English = "en"
	Swedish = "sv"
)

// Supported lists the languages kassa speaks, English first (the fallback).
var Supported = []string{English, Swedish}

var matcher = language.NewMatcher([]language.Tag{language.English, language.Swedish})

// Valid reports whether lang is one kassa speaks.
func Valid(lang string) bool { return lang == English || lang == Swedish }

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
