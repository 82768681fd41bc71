// An ESM-only package that reaches its own files through subpath imports (#x), one of them conditional.
import { which } from '#which';
import { shout } from '#util/shout';

export const where = () => shout(which);
