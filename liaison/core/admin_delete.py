"""The admin's delete confirmation, without the names of other records.

Django's page lists every record a deletion would remove or is blocked by, each by its name: deleting a referring
clinician would list their patients' referrals by patient name, to the IT administrator, who sees no clinical data.
With this mixin the page names only the records being deleted and counts the rest ("3 referrals")."""

from collections import Counter

from django.contrib.admin.utils import NestedObjects
from django.db import router


class CountsOnlyOnDelete:
    def get_deleted_objects(self, objs, request):
        _, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        own = str(self.model._meta.verbose_name_plural)
        others = [f"{n} {name}" for name, n in model_count.items() if str(name) != own and n]
        named = [str(o) for o in objs]
        if protected:
            collector = NestedObjects(using=router.db_for_write(self.model))
            collector.collect(objs)
            blocked = Counter(str(type(o)._meta.verbose_name_plural) for o in collector.protected)
            protected = [f"{n} {name}" for name, n in blocked.items()]
        return ([*named, others] if others else named), model_count, perms_needed, protected
