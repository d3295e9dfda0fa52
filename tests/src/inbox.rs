//! A report topic with an SQS queue subscribed (raw delivery), to read back
//! what a function published.

use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use crate::BedError;

/// An SNS topic and the queue that receives its `sqs` messages (the report JSON).
#[derive(Debug, Clone)]
pub struct Inbox {
    /// The topic functions publish to (`NOTIFY_TOPIC_ARN`).
    pub topic_arn: String,
    queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

fn bed_err(what: &str) -> impl Fn(String) -> BedError + '_ {
    move |e| BedError(format!("{what}: {e}"))
}

/// The report topic's name, as `template.yaml` makes it (`${SystemName}-ops`).
pub const OPS_TOPIC: &str = "goal-mandala-production-ops";

impl Inbox {
    /// The production report topic ([`OPS_TOPIC`]) with its inbox.
    pub async fn ops(sdk: &SdkConfig) -> Result<Inbox, BedError> {
        Inbox::create(sdk, OPS_TOPIC).await
    }

    /// The environment a deployed function sees: `NOTIFY_TOPIC_ARN` = this
    /// topic, then `extra` (later pairs win).
    pub fn env(&self, extra: &[(&str, &str)]) -> shared::Env {
        let mut env = shared::Env::from_pairs([("NOTIFY_TOPIC_ARN", self.topic_arn.as_str())]);
        for (k, v) in extra {
            env.set(*k, *v);
        }
        env
    }

    /// Creates the topic `name`, a queue, and the raw-delivery subscription.
    pub async fn create(sdk: &SdkConfig, name: &str) -> Result<Inbox, BedError> {
        let sns = aws_sdk_sns::Client::new(sdk);
        let sqs = aws_sdk_sqs::Client::new(sdk);
        let topic_arn = sns
            .create_topic()
            .name(name)
            .send()
            .await
            .map_err(|e| bed_err("CreateTopic")(e.to_string()))?
            .topic_arn
            .unwrap_or_default();
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("{name}-inbox"))
            .send()
            .await
            .map_err(|e| bed_err("CreateQueue")(e.to_string()))?
            .queue_url
            .unwrap_or_default();
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| bed_err("GetQueueAttributes")(e.to_string()))?
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
            .unwrap_or_default();
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("RawMessageDelivery", "true")
            .send()
            .await
            .map_err(|e| bed_err("Subscribe")(e.to_string()))?;
        Ok(Inbox {
            topic_arn,
            queue_url,
            sqs,
        })
    }

    /// Every report published since the last call, oldest first.
    pub async fn take(&self) -> Result<Vec<Value>, BedError> {
        let mut all = Vec::new();
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .map_err(|e| bed_err("ReceiveMessage")(e.to_string()))?;
            let messages = out.messages();
            if messages.is_empty() {
                return Ok(all);
            }
            for m in messages {
                let body = m.body().unwrap_or_default();
                all.push(
                    serde_json::from_str(body)
                        .map_err(|e| bed_err("message body")(e.to_string()))?,
                );
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .set_receipt_handle(m.receipt_handle().map(str::to_owned))
                    .send()
                    .await
                    .map_err(|e| bed_err("DeleteMessage")(e.to_string()))?;
            }
        }
    }
}
