"""Keeps each referrer's distance from the clinic right when a practice or a referrer is edited one at a time
(the admin, the directory's own pages). Bulk writes, which send no signal, are caught by the target list's
once-a-minute check and by the nightly refresh (geo.referrer_distances_sync)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from liaison.directory.models import Practice, Referrer


@receiver(post_save, sender=Practice, dispatch_uid="crm-practice-distance")
def practice_saved(sender, instance, created, raw=False, **kwargs):
    if not created and not raw:  # a new practice has no clinicians yet
        from liaison.crm import geo

        geo.referrer_distances_sync(Referrer.objects.filter(practice_id=instance.pk))


@receiver(post_save, sender=Referrer, dispatch_uid="crm-referrer-distance")
def referrer_saved(sender, instance, created, raw=False, **kwargs):
    if not created and not raw:  # new referrers are picked up by the sync; a move of practice shows at once
        from liaison.crm import geo

        geo.referrer_distances_sync(Referrer.objects.filter(pk=instance.pk))
