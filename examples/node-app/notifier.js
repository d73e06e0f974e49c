/**
 * A tiny app: it tells users, in real time, that their order shipped, and authorizes each user
 * for their own private channel only. It knows nothing of herald: it is configured like any app
 * that uses the `pusher` SDK, and its tests point that SDK at herald instead of Pusher.
 */

/** The private channel of one user. */
export const userChannel = (userId) => `private-user-${userId}`;

export function createNotifier(pusher) {
  return {
    /** Sends `order-shipped` to the user's channel. */
    async orderShipped(userId, order) {
      await pusher.trigger(userChannel(userId), 'order-shipped', {
        orderId: order.id,
        carrier: order.carrier,
      });
    },

    /**
     * What the app's `POST /pusher/auth` endpoint answers: the signature for the user's own
     * channel, and a refusal (403) for any other.
     */
    authorize(currentUser, socketId, channelName) {
      if (channelName !== userChannel(currentUser.id)) {
        return { status: 403, body: { error: `${channelName} is not yours` } };
      }
      return { status: 200, body: pusher.authorizeChannel(socketId, channelName) };
    },
  };
}
