package notify

import (
	"cmp"
	"fmt"

	"github.com/kassa-billing/kassa"
)

// The words of the messages, one function per language. They follow the
// pages' wording (web/i18n): "canceled", "free trial", "Billing › Licenses";
// "licenser", "kostnadsfri provperiod", "Fakturering › Licenser".

// english words a notification for an English reader.
func english(kind kassa.NotificationKind, f facts) (subject string, body []string) {
	who := f.purchaser + when(f.email, " ("+f.email+")")
	thing := "subscription to " + f.product
	if f.trial {
		thing = "free trial of " + f.product
	}
	footer := "You're receiving this message because you're an admin of your organization in Kassa."
	switch {
	case f.forPurchaser && f.trial:
		footer = "You're receiving this message because you started this free trial in Kassa."
	case f.forPurchaser:
		footer = "You're receiving this message because you bought this subscription in Kassa."
	}
	const assign = "You can assign the licenses to people in your organization under Billing › Licenses."
	const admin = "You can see it under Admin › Self-service purchases, and take it over if your organization should manage it."

	switch {
	case kind == kassa.NotifyPurchase && f.forPurchaser && f.trial:
		return "Your free trial of " + f.product + " has started", []string{sentences(
			fmt.Sprintf("You started a free trial of %s with %s.", f.product, f.licenses),
			cmp.Or(when(f.date, "Nothing is charged until it ends on "+f.date+"."), "Nothing is charged during the trial."),
			when(f.price, "After that it becomes a paid subscription at "+f.price+", if your billing profile has a payment method."),
		), assign, footer}
	case kind == kassa.NotifyPurchase && f.forPurchaser:
		return "You bought " + f.product, []string{sentences(
			fmt.Sprintf("You bought %s of %s%s.", f.licenses, f.product, when(f.price, " ("+f.price+")")),
			when(f.date, "The subscription renews on "+f.date+" unless you cancel it."),
		), assign, footer}
	case kind == kassa.NotifyPurchase && f.trial:
		return capital(f.purchaser) + " started a free trial of " + f.product, []string{sentences(
			fmt.Sprintf("%s started a free trial of %s with %s.", capital(who), f.product, f.licenses),
			when(f.date, "The trial ends on "+f.date+"."),
		), admin, footer}
	case kind == kassa.NotifyPurchase:
		return capital(f.purchaser) + " bought " + f.product, []string{sentences(
			fmt.Sprintf("%s bought %s of %s%s.", capital(who), f.licenses, f.product, when(f.price, " ("+f.price+")")),
			when(f.date, "The subscription renews on "+f.date+"."),
		), admin, footer}
	case kind == kassa.NotifyTakeOver && f.forPurchaser:
		return "Your subscription to " + f.product + " was taken over", []string{sentences(
			fmt.Sprintf("Your subscription to %s (%s) was taken over by %s.", f.product, f.licenses, f.actor),
			"Your admins manage it now: you can still see it under Billing › Your products, but only they can change or cancel it.",
		), footer}
	case kind == kassa.NotifyTakeOver:
		return capital(f.actor) + " took over " + f.product + " from " + f.purchaser, []string{sentences(
			fmt.Sprintf("%s took over the subscription to %s (%s) that %s bought.", capital(f.actor), f.product, f.licenses, who),
			"Your organization's admins manage it now; billing carries on as before.",
		), footer}
	case kind == kassa.NotifyCancellation && f.forPurchaser:
		return "You canceled " + f.product, []string{sentences(
			fmt.Sprintf("You canceled your %s (%s).", thing, f.licenses),
			when(f.date, "Access ends on "+f.date+"."),
		), footer}
	case kind == kassa.NotifyCancellation:
		return capital(f.purchaser) + " canceled " + f.product, []string{sentences(
			fmt.Sprintf("%s canceled the %s (%s).", capital(who), thing, f.licenses),
			when(f.reason, "Reason: "+f.reason+"."),
			when(f.date, "Access ends on "+f.date+"."),
		), footer}
	}
	return "The subscription to " + f.product + " has changed", []string{
		fmt.Sprintf("The subscription to %s (%s) has changed.", f.product, f.licenses), footer}
}

// swedish words a notification for a Swedish reader.
func swedish(kind kassa.NotificationKind, f facts) (subject string, body []string) {
	who := f.purchaser + when(f.email, " ("+f.email+")")
	of := "prenumerationen på " + f.product
	yours := "din prenumeration på " + f.product
	if f.trial {
		of = "den kostnadsfria provperioden av " + f.product
		yours = "din kostnadsfria provperiod av " + f.product
	}
	footer := "Du får det här meddelandet eftersom du är administratör för din organisation i Kassa."
	switch {
	case f.forPurchaser && f.trial:
		footer = "Du får det här meddelandet eftersom du startade provperioden i Kassa."
	case f.forPurchaser:
		footer = "Du får det här meddelandet eftersom du köpte prenumerationen i Kassa."
	}
	const assign = "Du kan tilldela licenserna till personer i din organisation under Fakturering › Licenser."
	const admin = "Du ser den under Administration › Självbetjäningsköp och kan ta över den om organisationen ska hantera den."

	switch {
	case kind == kassa.NotifyPurchase && f.forPurchaser && f.trial:
		return "Din kostnadsfria provperiod av " + f.product + " har börjat", []string{sentences(
			fmt.Sprintf("Du startade en kostnadsfri provperiod av %s med %s.", f.product, f.licenses),
			cmp.Or(when(f.date, "Inget debiteras förrän den slutar "+f.date+"."), "Inget debiteras under provperioden."),
			when(f.price, "Därefter blir den en betald prenumeration för "+f.price+", om faktureringsprofilen har en betalningsmetod."),
		), assign, footer}
	case kind == kassa.NotifyPurchase && f.forPurchaser:
		return "Du köpte " + f.product, []string{sentences(
			fmt.Sprintf("Du köpte %s för %s%s.", f.licenses, f.product, when(f.price, " ("+f.price+")")),
			when(f.date, "Prenumerationen förnyas "+f.date+" om du inte säger upp den."),
		), assign, footer}
	case kind == kassa.NotifyPurchase && f.trial:
		return capital(f.purchaser) + " startade en kostnadsfri provperiod av " + f.product, []string{sentences(
			fmt.Sprintf("%s startade en kostnadsfri provperiod av %s med %s.", capital(who), f.product, f.licenses),
			when(f.date, "Provperioden slutar "+f.date+"."),
		), admin, footer}
	case kind == kassa.NotifyPurchase:
		return capital(f.purchaser) + " köpte " + f.product, []string{sentences(
			fmt.Sprintf("%s köpte %s för %s%s.", capital(who), f.licenses, f.product, when(f.price, " ("+f.price+")")),
			when(f.date, "Prenumerationen förnyas "+f.date+"."),
		), admin, footer}
	case kind == kassa.NotifyTakeOver && f.forPurchaser:
		return "Din prenumeration på " + f.product + " har tagits över", []string{sentences(
			fmt.Sprintf("Din prenumeration på %s (%s) har tagits över av %s.", f.product, f.licenses, f.actor),
			"Nu är det administratörerna i din organisation som hanterar den: du ser den fortfarande under Fakturering › Dina produkter, men bara de kan ändra eller säga upp den.",
		), footer}
	case kind == kassa.NotifyTakeOver:
		return capital(f.actor) + " tog över " + f.product + " från " + f.purchaser, []string{sentences(
			fmt.Sprintf("%s tog över prenumerationen på %s (%s) som %s köpte.", capital(f.actor), f.product, f.licenses, who),
			"Nu är det organisationens administratörer som hanterar den; faktureringen fortsätter som förut.",
		), footer}
	case kind == kassa.NotifyCancellation && f.forPurchaser:
		return "Du sade upp " + f.product, []string{sentences(
			fmt.Sprintf("Du sade upp %s (%s).", yours, f.licenses),
			when(f.date, "Åtkomsten upphör "+f.date+"."),
		), footer}
	case kind == kassa.NotifyCancellation:
		return capital(f.purchaser) + " sade upp " + f.product, []string{sentences(
			fmt.Sprintf("%s sade upp %s (%s).", capital(who), of, f.licenses),
			when(f.reason, "Orsak: "+f.reason+"."),
			when(f.date, "Åtkomsten upphör "+f.date+"."),
		), footer}
	}
	return "Prenumerationen på " + f.product + " har ändrats", []string{
		fmt.Sprintf("Prenumerationen på %s (%s) har ändrats.", f.product, f.licenses), footer}
}
