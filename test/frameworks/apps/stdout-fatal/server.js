const fastify = require('fastify')({ logger: true })

fastify.register(async function database () {
  throw new Error('cannot connect to the database at db.internal:5432 (ECONNREFUSED)')
})

fastify.get('/', async () => ({ hello: 'world' }))

fastify.listen({ port: 3000 }, function (err, address) {
  if (err) {
    fastify.log.error(err)
    process.exit(1)
  }
})
