/**
 * An ECS service the orchestrator can roll out (docs/aws.md): Fargate, the EXTERNAL deployment
 * controller, behind an Application Load Balancer. With EXTERNAL, the service holds no task definition
 * and no load balancer: its task sets do. The stack creates the first one and makes it PRIMARY; every
 * rollout after that creates a canary task set beside it, in the same target group, and shifts the
 * share of tasks between the two.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';

export interface ShopWebProps extends StackProps {
  /** The image the service starts with, by digest: later images come through rollouts. */
  readonly initialImage: string;
}

export class ShopWebStack extends Stack {
  constructor(scope: Construct, id: string, props: ShopWebProps) {
    super(scope, id, props);
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2 });
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, clusterName: 'shop' });

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', { cpu: 256, memoryLimitMiB: 512 });
    taskDefinition.addContainer('app', {
      image: ecs.ContainerImage.fromRegistry(props.initialImage),
      portMappings: [{ containerPort: 8080 }],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'web' }),
    });

    const alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', { vpc, internetFacing: true });
    const targets = new elbv2.ApplicationTargetGroup(this, 'Web', {
      vpc,
      port: 8080,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      healthCheck: { path: '/healthz' },
    });
    alb.addListener('Http', { port: 80, defaultTargetGroups: [targets] });
    // An alarm the config names (services.web.alarms): in ALARM, a rollout rolls back at once.
    targets.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT).createAlarm(this, 'Web5xx', {
      alarmName: 'shop-web-5xx',
      threshold: 5,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const tasks = new ec2.SecurityGroup(this, 'Tasks', { vpc });
    tasks.connections.allowFrom(alb, ec2.Port.tcp(8080));

    // The service: EXTERNAL, so its tasks come from task sets; the orchestrator sets their scale.
    const service = new ecs.CfnService(this, 'Service', {
      cluster: cluster.clusterName,
      serviceName: 'web',
      desiredCount: 4,
      deploymentController: { type: 'EXTERNAL' },
    });
    service.node.addDependency(cluster);

    // The first task set, at full scale and PRIMARY: the stable set of the first rollout.
    const initial = new ecs.CfnTaskSet(this, 'InitialTaskSet', {
      cluster: cluster.clusterName,
      service: service.attrName,
      taskDefinition: taskDefinition.taskDefinitionArn,
      launchType: 'FARGATE',
      scale: { unit: 'PERCENT', value: 100 },
      loadBalancers: [{ containerName: 'app', containerPort: 8080, targetGroupArn: targets.targetGroupArn }],
      networkConfiguration: {
        awsVpcConfiguration: {
          subnets: vpc.privateSubnets.map((s) => s.subnetId),
          securityGroups: [tasks.securityGroupId],
          assignPublicIp: 'DISABLED',
        },
      },
    });
    initial.node.addDependency(alb);
    new ecs.CfnPrimaryTaskSet(this, 'Primary', { cluster: cluster.clusterName, service: service.attrName, taskSetId: initial.attrId });
  }
}
