"""Sites: where chargers stand, with the grid connection that load management shares among them."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone as django_timezone


class Site(models.Model):
    """A location (a depot, a car park) or, with a parent, a circuit inside one (a feeder with its own limit).

    The grid limit is given per phase in A or in kW; load management converts one to the other with the site's
    nominal voltage. Both empty means no limit is managed.
    """

    name = models.CharField(max_length=100)
    address = models.CharField(max_length=300, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="circuits",
        help_text="The site or circuit this circuit is fed from",
    )
    grid_limit_a = models.DecimalField(
        "grid limit (A per phase)", max_digits=7, decimal_places=1, null=True, blank=True
    )
    grid_limit_kw = models.DecimalField("grid limit (kW)", max_digits=9, decimal_places=2, null=True, blank=True)
    nominal_voltage_v = models.PositiveSmallIntegerField("nominal voltage (V, phase to neutral)", default=230)
    timezone = models.CharField(max_length=64, blank=True, help_text="IANA name, e.g. Europe/Ljubljana")
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], condition=models.Q(parent=None), name="unique_top_site_name"),
            models.CheckConstraint(
                condition=models.Q(grid_limit_a__isnull=True) | models.Q(grid_limit_a__gt=0),
                name="site_grid_limit_a_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(grid_limit_kw__isnull=True) | models.Q(grid_limit_kw__gt=0),
                name="site_grid_limit_kw_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        ancestor = self.parent
        while ancestor is not None:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": "A site cannot be fed from itself or from one of its circuits."})
            ancestor = ancestor.parent
