/**
 * Where a profile's `guard aws-credential` calls STS (SPEC §15): its
 * `aws_sts_endpoint`, else the regional endpoint of its `aws_region`. Pure.
 *
 * @see https://docs.aws.amazon.com/general/latest/gr/sts.html
 */
import { GuardError } from '../../errors.ts';
import type { Profile } from '../../policy/types.ts';

export function stsEndpoint(profile: Profile): string {
  if (profile.aws_sts_endpoint) return profile.aws_sts_endpoint;
  const region = profile.aws_region;
  if (!region) {
    throw new GuardError('config', `profile "${profile.name}" sets neither aws_region nor aws_sts_endpoint; guard aws-credential needs one of them to reach STS (e.g. aws_region: us-east-1)`);
  }
  // The China partition has its own domain.
  return `https://sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}
