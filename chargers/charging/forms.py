"""The page's forms: a profile in plain fields (its periods one a line, "startPeriod limit [numberPhases]"), read
into the SetChargingProfile shape that chargers/charging/validation.py checks; and the composite-schedule ask."""

from django import forms

from chargers.charging.vocabulary import ProfileKind, ProfilePurpose, RateUnit, RecurrencyKind


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def periods_read(text: str) -> list[dict]:
    """'0 16\\n3600 10.5 1' -> chargingSchedulePeriod; a malformed line is a ValidationError naming it."""
    periods = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        words = line.split()
        try:
            if len(words) not in (2, 3):
                raise ValueError
            period = {"startPeriod": int(words[0]), "limit": _number(words[1])}
            if len(words) == 3:
                period["numberPhases"] = int(words[2])
        except ValueError as error:
            raise forms.ValidationError(f"line {number}: startPeriod limit [numberPhases], e.g. 0 16") from error
        periods.append(period)
    return periods


class ProfileForm(forms.Form):
    connector_id = forms.IntegerField(label="Connector", min_value=0, initial=0, help_text="0: the whole charger")
    purpose = forms.ChoiceField(choices=ProfilePurpose.choices)
    stack_level = forms.IntegerField(min_value=0, initial=0)
    kind = forms.ChoiceField(choices=ProfileKind.choices)
    recurrency_kind = forms.ChoiceField(choices=[("", "—"), *RecurrencyKind.choices], required=False)
    transaction_id = forms.IntegerField(required=False, help_text="TxProfile: the charger's transactionId")
    valid_from = forms.DateTimeField(required=False)
    valid_to = forms.DateTimeField(required=False)
    rate_unit = forms.ChoiceField(choices=RateUnit.choices)
    start_schedule = forms.DateTimeField(required=False, help_text="Absolute and Recurring profiles")
    duration_s = forms.IntegerField(label="Duration (s)", min_value=0, required=False)
    min_charging_rate = forms.DecimalField(min_value=0, decimal_places=1, required=False)
    periods = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), initial="0 16", help_text="One a line: startPeriod limit [phases]"
    )

    def clean_periods(self) -> list[dict]:
        return periods_read(self.cleaned_data["periods"])

    def profile(self) -> dict:
        """The csChargingProfiles of the valid form (without chargingProfileId)."""
        data = self.cleaned_data
        schedule = {
            "chargingRateUnit": data["rate_unit"],
            "chargingSchedulePeriod": data["periods"],
            "duration": data["duration_s"],
            "startSchedule": data["start_schedule"] and data["start_schedule"].isoformat(),
            "minChargingRate": None if data["min_charging_rate"] is None else float(data["min_charging_rate"]),
        }
        profile = {
            "stackLevel": data["stack_level"],
            "chargingProfilePurpose": data["purpose"],
            "chargingProfileKind": data["kind"],
            "recurrencyKind": data["recurrency_kind"] or None,
            "transactionId": data["transaction_id"],
            "validFrom": data["valid_from"] and data["valid_from"].isoformat(),
            "validTo": data["valid_to"] and data["valid_to"].isoformat(),
        }
        profile = {k: v for k, v in profile.items() if v is not None}
        profile["chargingSchedule"] = {k: v for k, v in schedule.items() if v is not None}
        return profile


class CompositeForm(forms.Form):
    connector_id = forms.IntegerField(label="Connector", min_value=0, initial=0, help_text="0: the whole charger")
    duration_s = forms.IntegerField(label="Duration (s)", min_value=1, initial=86400)
    rate_unit = forms.ChoiceField(choices=[("", "as the charger likes"), *RateUnit.choices], required=False)
