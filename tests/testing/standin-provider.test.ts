// The stand-in plugins' own refusals, called directly (no engine): they are only worth having if
// they refuse what the real providers would, so each refusal is shown here.
import * as assert from "node:assert/strict";
import {
  StandinProvider,
  changedInputs,
  parseUrn,
  sdkRecordFor,
} from "../../testing/engine/standin-provider";

const urn = (type: string, name: string, parent = "registry-hub:registry:CentralRegistry") =>
  `urn:pulumi:prod::registry-hub::${parent}$${type}::${name}`;
const REPOSITORY = "aws:ecr/repository:Repository";

describe("stand-in providers, strict on the SDK's record", function () {
  this.timeout(30_000);
  const aws = new StandinProvider("aws");
  const eks = new StandinProvider("eks");

  it("read the type and name from a URN, nested parents included", () => {
    assert.deepEqual(parseUrn(urn(REPOSITORY, "central-team/app")), {
      type: REPOSITORY,
      name: "central-team/app",
    });
  });

  it("answer with the version of the SDK in node_modules, the version the program asks for", () => {
    assert.equal(aws.version, sdkRecordFor("aws").version);
    assert.match(aws.version, /^\d+\.\d+\.\d+$/);
  });

  it("Check accepts exactly the inputs the SDK declares for the type", async () => {
    const result = await aws.check(
      urn(REPOSITORY, "r"),
      {},
      {
        name: "team/app",
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        encryptionConfigurations: [{ encryptionType: "AES256" }],
      },
    );
    assert.deepEqual(result.failures, []);
  });

  it("Check refuses a misspelled input, naming it and the type", async () => {
    const result = await aws.check(
      urn(REPOSITORY, "r"),
      {},
      {
        name: "team/app",
        imageTagMutabilty: "IMMUTABLE",
      },
    );
    assert.deepEqual(
      result.failures?.map((f) => f.property),
      ["imageTagMutabilty"],
    );
    assert.match(result.failures[0].reason, /not an input of aws:ecr\/repository:Repository/);
  });

  it("Check refuses an output property sent as an input (repositoryUrl is computed)", async () => {
    const result = await aws.check(urn(REPOSITORY, "r"), {}, { repositoryUrl: "x" });
    assert.deepEqual(
      result.failures?.map((f) => f.property),
      ["repositoryUrl"],
    );
  });

  it("Check refuses a type the package does not have", async () => {
    const result = await aws.check(urn("aws:ecr/repositry:Repositry", "r"), {}, {});
    assert.match(result.failures![0].reason, /is not a type of @pulumi\/aws/);
  });

  it("Diff compares inputs exactly: one character of a policy is a change, key order is not", async () => {
    const type = "aws:ecr/repositoryPolicy:RepositoryPolicy";
    const olds = { repository: "team/app", policy: '{"Version":"2012-10-17"}' };
    assert.deepEqual(changedInputs(sdkRecordFor("aws"), type, olds, { ...olds }), []);
    assert.deepEqual(
      changedInputs(sdkRecordFor("aws"), type, olds, {
        ...olds,
        policy: '{"Version": "2012-10-17"}',
      }),
      ["policy"],
    );
    const reordered = { policy: olds.policy, repository: olds.repository };
    assert.equal((await aws.diff("id", urn(type, "p"), olds, reordered)).changes, false);
    assert.equal(
      (await aws.diff("id", urn(type, "p"), olds, { ...olds, repository: "team/App" })).changes,
      true,
    );
  });

  it("Create keeps the inputs and adds the outputs a real provider computes", async () => {
    const created = await aws.create(urn(REPOSITORY, "r"), { name: "team/app" });
    assert.equal(created.id, "team/app");
    assert.equal(created.outs.name, "team/app");
    assert.match(created.outs.repositoryUrl, /\/team\/app$/);
    assert.match(created.outs.arn, /team\/app$/);
  });

  it("the random stand-in draws a new id on each create and replaces on any change, as the real one", async () => {
    const random = new StandinProvider("random");
    const type = "random:index/randomId:RandomId";
    const inputs = { byteLength: 8, keepers: { deniedRepositories: "team/worker" } };
    const first = await random.create(urn(type, "r", "registry-hub:cache:RegistryCache"), inputs);
    const second = await random.create(urn(type, "r", "registry-hub:cache:RegistryCache"), inputs);
    assert.match(first.outs.hex, /^[0-9a-f]{16}$/);
    assert.notEqual(first.outs.hex, second.outs.hex);
    const diff = await random.diff("id", urn(type, "r"), first.outs, {
      ...inputs,
      keepers: { deniedRepositories: "" },
    });
    assert.deepEqual(diff.replaces, ["keepers"]);
  });

  it("Invoke answers the functions the program calls, and refuses the rest and undeclared arguments", async () => {
    const found = await aws.invoke("aws:eks/getCluster:getCluster", { name: "beta" });
    assert.equal(found.failures, undefined);
    assert.match(found.outputs.endpoint, /^https:\/\/beta\./);
    const notAnswered = await aws.invoke("aws:ec2/getVpc:getVpc", {});
    assert.match(notAnswered.failures![0].reason, /does not answer aws:ec2\/getVpc:getVpc/);
    const misspelled = await aws.invoke("aws:eks/getCluster:getCluster", { nmae: "beta" });
    assert.deepEqual(
      misspelled.failures?.map((f) => f.property),
      ["nmae"],
    );
  });

  it("Construct refuses a component it does not know, and undeclared inputs of one it does", async () => {
    await assert.rejects(eks.construct("n", "eks:index:NodeGroup", {}, {}), /does not construct/);
    await assert.rejects(
      eks.construct("n", "eks:index:Cluster", { instanceTyp: "m6i.large" }, {}),
      /instanceTyp: not inputs of eks:index:Cluster/,
    );
  });
});
