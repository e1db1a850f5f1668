import { deployHub } from "./hub";
import { prepareStack } from "./prepare";

const { model, plan } = prepareStack();
const outputs = deployHub(model, plan);

export const registryId = outputs.registryId;
export const repositoryUrls = outputs.repositoryUrls;
export const repositoryPolicyChars = outputs.repositoryPolicyChars;
export const caches = outputs.caches;
